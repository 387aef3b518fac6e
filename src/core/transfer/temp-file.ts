// Temp files: hidden, beside the destination (same file system, so Complete is an atomic rename), never the
// final name. What writes them is body-receiver.ts.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';

export const TEMP_SUFFIX = '.mddownload';
const maxNameBytes = 255;

/** `.<name>.<job id, 8 chars>-<file index>.mddownload` beside `localPath`. */
export function tempPathFor(localPath: string, jobId: string, fileIndex: number): string {
  const tail = `.${jobId.replace(/-/g, '').slice(0, 8)}-${fileIndex}${TEMP_SUFFIX}`;
  let name = path.basename(localPath);
  // File names are limited to 255 bytes; keep the distinguishing tail and shorten the name.
  while (Buffer.byteLength('.' + name + tail) > maxNameBytes) name = name.slice(0, -1);
  return path.join(path.dirname(localPath), `.${name}${tail}`);
}

/** Size of a file, 0 when it does not exist. */
export async function sizeOf(file: string): Promise<number> {
  try {
    return (await fs.stat(file)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}

/** A sha256 already fed with the first `length` bytes of `file` (to continue hashing after a resume). */
export async function hashPrefix(file: string, length: number): Promise<Hash> {
  const hash = createHash('sha256');
  if (length > 0) {
    await pipeline(createReadStream(file, { start: 0, end: length - 1, highWaterMark: 1 << 20 }), async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) hash.update(chunk);
    });
  }
  return hash;
}
