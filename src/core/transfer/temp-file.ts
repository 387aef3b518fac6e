// Temp files: hidden, beside the destination (same file system, so Complete is an atomic rename), never the
// final name. What writes them is body-receiver.ts.
import { createHash, type Hash } from 'node:crypto';
import { constants, fstatSync, promises as fs, type BigIntStats } from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { BitsError, Codes, ErrorContext } from '../errors';
import type { FileRecord } from '../model/job';
import { cutToBytes, MAX_NAME_BYTES as maxNameBytes } from '../util/file-name';

export const TEMP_SUFFIX = '.mddownload';

/** `.<name>.<job id, 8 chars>-<file index>.mddownload` beside `localPath`. */
export function tempPathFor(localPath: string, jobId: string, fileIndex: number): string {
  const tail = `.${jobId.replace(/-/g, '').slice(0, 8)}-${fileIndex}${TEMP_SUFFIX}`;
  // File names are limited to 255 bytes; keep the distinguishing tail and shorten the name (never mid-character).
  const name = cutToBytes(path.basename(localPath), maxNameBytes - Buffer.byteLength('.' + tail));
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
    const handle = await fs.open(file, constants.O_RDONLY | NOFOLLOW);
    await pipeline(
      handle.createReadStream({ start: 0, end: length - 1, highWaterMark: 1 << 20 }),
      async (source: AsyncIterable<Buffer>) => {
        for await (const chunk of source) hash.update(chunk);
      },
    );
  }
  return hash;
}

// A temp file's name can be guessed, and its folder may be writable by others: a link (symbolic or hard) put at
// that name would have the job write into, or Complete move into place, a file the job never made. So a temp file
// is created only anew (O_EXCL: whatever is at the name is removed, never opened), opened again only without
// following links, and written to or put in place only when it is the very file (dev:ino) the job created.

/** Not on Windows, where making a link needs privileges: there the identity check alone stands. */
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;

/** `dev:ino`: which file this is, whatever its name (a rename keeps it). */
export function identityOf(stats: BigIntStats): string {
  return `${stats.dev}:${stats.ino}`;
}

/**
 * Why `stats` (an lstat or an fstat of the temp name) is not the temp file `file` created, or undefined when it is.
 * `names`: the names the job's file has now (2 once Complete has linked it to its destination).
 */
export function notTheJobsTemp(stats: BigIntStats, file: FileRecord, lenient = false, names = 1n): string | undefined {
  if (stats.isSymbolicLink()) return 'it is a symbolic link';
  if (!stats.isFile()) return 'it is not a regular file';
  if (stats.nlink !== names) return `it has ${stats.nlink - names + 1n} names (a hard link)`;
  if (file.tempIdentity === undefined) return lenient ? undefined : 'the job has no record of the file it created';
  if (identityOf(stats) !== file.tempIdentity) return 'it is another file than the one the job created';
  return undefined;
}

/** The temp file is not the job's: writing to it would write to someone else's file. */
export function foreignTempError(temp: string, reason: string): BitsError {
  return new BitsError(
    Codes.BG_E_LOCAL_FILE_CHANGED,
    `The temp file ${temp} was replaced by something the job did not make (${reason}); it is not written to. The file starts again.`,
    ErrorContext.LOCAL_FILE,
    { transient: true },
  );
}

/**
 * Creates the temp file anew for writing and records its identity in `file`. Whatever is at the name (an earlier
 * attempt's file, or a link someone put there) is removed first, never opened. A missing folder is made.
 */
export async function createTemp(file: FileRecord): Promise<fs.FileHandle> {
  const temp = file.tempPath;
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW;
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(temp, flags);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') await fs.rm(temp, { force: true });
    else if (code === 'ENOENT') await fs.mkdir(path.dirname(temp), { recursive: true });
    else throw err;
    handle = await fs.open(temp, flags);
  }
  try {
    // The descriptor just opened, no path to look up: done here rather than as one more thread-pool round trip,
    // which counts in a job of many small files (a hand-off costs more than the fstat itself).
    file.tempIdentity = identityOf(fstatSync(handle.fd, { bigint: true }));
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
  return handle;
}

/** Opens the job's own temp file to continue writing it; a BG_E_LOCAL_FILE_CHANGED error when it is not the job's. */
export async function openOwnTemp(file: FileRecord): Promise<fs.FileHandle> {
  const temp = file.tempPath;
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(temp, constants.O_RDWR | NOFOLLOW);
  } catch (err) {
    // O_NOFOLLOW: a symbolic link at the name fails the open (ELOOP; EMLINK on FreeBSD, EFTYPE on NetBSD).
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || code === 'EMLINK' || code === 'EFTYPE') throw foreignTempError(temp, 'it is a symbolic link');
    throw err;
  }
  try {
    const reason = notTheJobsTemp(await handle.stat({ bigint: true }), file);
    if (reason !== undefined) throw foreignTempError(temp, reason);
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
  return handle;
}

/** What is at the temp name: nothing, the job's temp file (its size), or something else (why it is not the job's). */
export async function inspectTemp(file: FileRecord, lenient = false): Promise<{ size: number } | { foreign: string } | undefined> {
  let stats: BigIntStats;
  try {
    stats = await fs.lstat(file.tempPath, { bigint: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const reason = notTheJobsTemp(stats, file, lenient);
  return reason === undefined ? { size: Number(stats.size) } : { foreign: reason };
}

/** Removes the temp name (a link itself, never what it points to) and forgets the file the job had made. */
export async function discardTemp(file: FileRecord): Promise<0> {
  await fs.rm(file.tempPath, { force: true });
  file.tempIdentity = undefined;
  return 0;
}
