// Checks a client's output folder against the expected files: exactly those names, each with the right
// size and sha256, and nothing else (a leftover temp file is a failure too). A fast wrong download never counts.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const CHUNK = 8 * 1024 * 1024;
const buffer = Buffer.allocUnsafe(CHUNK);

export function sha256File(path) {
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    for (;;) {
      const n = readSync(fd, buffer, 0, CHUNK, null);
      if (n === 0) break;
      hash.update(buffer.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/**
 * @param {string} dir the client's output folder
 * @param {{ name: string, size: number, sha256: string }[]} expected
 * @returns {string | undefined} why the output is wrong, or undefined when every file is right
 */
export function verifyOutput(dir, expected) {
  if (!existsSync(dir)) return `output folder ${dir} missing`;
  const wanted = new Set(expected.map((e) => e.name));
  const present = readdirSync(dir);
  const extra = present.filter((n) => !wanted.has(n));
  if (extra.length)
    return `unexpected files in output: ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ` (+${extra.length - 5})` : ''}`;
  const presentSet = new Set(present);
  let missing = 0;
  for (const file of expected) {
    if (!presentSet.has(file.name)) {
      missing++;
      continue;
    }
    const path = join(dir, file.name);
    const size = statSync(path).size;
    if (size !== file.size) return `${file.name}: ${size} bytes, expected ${file.size}`;
    const digest = sha256File(path);
    if (digest !== file.sha256) return `${file.name}: sha256 ${digest}, expected ${file.sha256}`;
  }
  if (missing) return `${missing} of ${expected.length} files missing`;
  return undefined;
}
