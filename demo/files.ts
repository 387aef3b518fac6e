// The files the demo server offers: random bytes of a few sizes, written once into the demo state folder
// (with their sha256, so a download can be checked) and reused by later starts.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';

export interface DemoFileSpec {
  name: string;
  bytes: number;
  /** Served no faster than this many bytes per second (undefined: as fast as the link goes). */
  bytesPerSecond?: number;
  description: string;
}

export interface DemoFile extends DemoFileSpec {
  path: string;
  sha256: string;
  /** A strong ETag, from the content: If-Range resumes only against these exact bytes. */
  etag: string;
  lastModified: Date;
}

const MiB = 1024 * 1024;

export const defaultDemoFiles: DemoFileSpec[] = [
  { name: 'small-1MiB.bin', bytes: 1 * MiB, description: 'full speed' },
  { name: 'medium-20MiB.bin', bytes: 20 * MiB, description: 'full speed' },
  {
    name: 'large-200MiB-slow.bin',
    bytes: 200 * MiB,
    bytesPerSecond: 5 * MiB,
    description: 'about 5 MiB/s (about 40 s): slow enough to watch, suspend and resume',
  },
];

interface ManifestEntry {
  bytes: number;
  sha256: string;
  mtimeMs: number;
}

async function writeRandomFile(path: string, bytes: number): Promise<string> {
  const hash = createHash('sha256');
  const out = createWriteStream(path);
  for (let left = bytes; left > 0;) {
    const chunk = randomBytes(Math.min(left, MiB));
    hash.update(chunk);
    left -= chunk.length;
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return hash.digest('hex');
}

/** Makes the missing or changed files in `dir` and returns all of them with their digests. */
export async function ensureDemoFiles(dir: string, specs: DemoFileSpec[] = defaultDemoFiles): Promise<DemoFile[]> {
  mkdirSync(dir, { recursive: true });
  const manifestFile = join(dir, 'manifest.json');
  let manifest: Record<string, ManifestEntry> = {};
  try {
    manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Record<string, ManifestEntry>;
  } catch {
    // none yet, or unreadable: the files are made again
  }
  const files: DemoFile[] = [];
  for (const spec of specs) {
    const path = join(dir, spec.name);
    const known = manifest[spec.name];
    const onDisk = existsSync(path) ? statSync(path) : undefined;
    if (!known || !onDisk || onDisk.size !== spec.bytes || onDisk.mtimeMs !== known.mtimeMs) {
      const sha256 = await writeRandomFile(path, spec.bytes);
      manifest[spec.name] = { bytes: spec.bytes, sha256, mtimeMs: statSync(path).mtimeMs };
    }
    const entry = manifest[spec.name];
    files.push({ ...spec, path, sha256: entry.sha256, etag: `"${entry.sha256.slice(0, 32)}"`, lastModified: new Date(entry.mtimeMs) });
  }
  writeFileSync(manifestFile, JSON.stringify(manifest, null, 2));
  return files;
}
