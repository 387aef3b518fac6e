// The files nginx serves, made once and kept in the work folder (random bytes, so nothing compresses),
// with a manifest of sizes and sha256 so every download can be checked.
import { randomFillSync } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { sha256File } from './verify.mjs';

const MiB = 1024 * 1024;

export function fixtureSizes(quick) {
  return quick
    ? { large: 128 * MiB, capped: 64 * MiB, smallCount: 200, smallSize: 100 * 1024 }
    : { large: 1024 * MiB, capped: 256 * MiB, smallCount: 1000, smallSize: 100 * 1024 };
}

function writeRandomFile(path, size) {
  const chunk = Buffer.allocUnsafe(Math.min(size, 8 * MiB));
  const fd = openSync(path, 'w');
  try {
    for (let left = size; left > 0;) {
      const n = Math.min(left, chunk.length);
      randomFillSync(chunk, 0, n);
      writeSync(fd, chunk, 0, n);
      left -= n;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Makes (or reuses) the files under `root` and returns their manifest:
 * { large: {name,size,sha256}, capped: {...}, small: [{name,size,sha256}...], smallDir }
 * Paths are relative to `root`, which nginx serves.
 */
export function ensureFixtures(root, quick, log) {
  const sizes = fixtureSizes(quick);
  const tag = quick ? 'quick' : 'full';
  const manifestPath = join(root, `manifest-${tag}.json`);
  if (existsSync(manifestPath)) {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    const all = [manifest.large, manifest.capped, ...manifest.small];
    if (all.every((f) => existsSync(join(root, f.path)) && statSync(join(root, f.path)).size === f.size)) return manifest;
  }
  log(`making ${tag} fixtures in ${root} (once; kept for later runs)`);
  mkdirSync(join(root, tag, 'small'), { recursive: true });
  const make = (rel, size) => {
    const path = join(root, rel);
    writeRandomFile(path, size);
    return { name: rel.split('/').pop(), path: rel, size, sha256: sha256File(path) };
  };
  const manifest = {
    large: make(`${tag}/large-${sizes.large / MiB}MiB.bin`, sizes.large),
    capped: make(`${tag}/capped-${sizes.capped / MiB}MiB.bin`, sizes.capped),
    small: Array.from({ length: sizes.smallCount }, (_, i) => make(`${tag}/small/f${String(i).padStart(4, '0')}.bin`, sizes.smallSize)),
  };
  writeFileSync(manifestPath, JSON.stringify(manifest));
  return manifest;
}
