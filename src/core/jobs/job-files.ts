// What Complete and Cancel do to the files on disk: rename whole temp files to their final names (atomic, same
// folder), delete the rest.
import { linkSync, lstatSync, promises as fs, unlinkSync, type BigIntStats } from 'node:fs';
import * as path from 'node:path';
import { BitsError, Codes, ErrorContext } from '../errors';
import { localFileError } from '../transfer/network-errors';
import { eachLimited, FILE_CALLS_AT_ONCE } from '../util/each-limited';
import { discardTemp, identityOf, inspectTemp, notTheJobsTemp } from '../transfer/temp-file';
import { QuickCalls } from '../util/quick-calls';
import type { CompleteResult, FileRecord } from '../model/job';

/** Deletes the temp files; returns the ones that could not be deleted. */
export async function deleteTempFiles(files: readonly FileRecord[]): Promise<string[]> {
  const failed = new Set<string>();
  await eachLimited(files, FILE_CALLS_AT_ONCE, (f) => fs.rm(f.tempPath, { force: true }).catch(() => void failed.add(f.tempPath)));
  return files.map((f) => f.tempPath).filter((p) => failed.has(p));
}

/**
 * Renames every transferred file into place and deletes the temp files of the others. Safe to run again after
 * a crash half-way: a transferred file whose temp file is gone but whose final file has the right size was
 * already renamed.
 */
export async function completeFiles(files: readonly FileRecord[]): Promise<CompleteResult> {
  const notTransferred = files.filter((f) => !f.transferred).map((f) => f.localPath);
  const transferred = files.filter((f) => f.transferred);
  // All renames are tried even when one fails; each file is then either in place or still in its temp file,
  // and completing again finishes the rest (a renamed file is recognised by alreadyInPlace).
  const rest = await placeQuickly(transferred);
  await eachLimited(rest, FILE_CALLS_AT_ONCE, (f) => putInPlace(f));
  await deleteTempFiles(files.filter((f) => !f.transferred));
  return {
    code: notTransferred.length > 0 ? Codes.BG_S_PARTIAL_COMPLETE : Codes.S_OK,
    completed: transferred.map((f) => f.localPath),
    notTransferred,
  };
}

/**
 * Puts one transferred file in place. The temp file must be the one the job created (a link or a replacement
 * at its name is never moved into place: the file is marked for download again). The destination is replaced
 * only when it is the very file that was there when the file was added (the caller chose that path knowing it);
 * a file that appeared or changed there since (another download, another program) is left as it is, and
 * Complete fails with E_FILE_EXISTS.
 */
async function putInPlace(f: FileRecord): Promise<void> {
  if (await linkedIntoPlace(f)) return;
  const destination = await lstatOf(f.localPath);
  // A Complete cut short after the destination got the file (rename, or link before the unlink): finish it.
  if (destination !== undefined && f.tempIdentity !== undefined && identityOf(destination) === f.tempIdentity) {
    await fs.rm(f.tempPath, { force: true }).catch((err: unknown) => {
      throw localFileError(err, f.tempPath);
    });
    return;
  }
  const found = await inspectTemp(f, true).catch((err: unknown) => {
    throw localFileError(err, f.tempPath);
  });
  if (found === undefined) {
    if (await alreadyInPlace(f)) return;
    throw new BitsError(
      Codes.E_FILE_NOT_FOUND,
      `The temp file ${f.tempPath} of ${path.basename(f.localPath)} is gone (deleted outside Managed Downloads?); cancel the job and download again.`,
      ErrorContext.LOCAL_FILE,
    );
  }
  if ('foreign' in found) {
    // Only the name goes (a link itself, never what it points to); the file is fetched again.
    await discardTemp(f).catch(() => undefined);
    f.transferred = false;
    f.bytesTransferred = 0;
    f.segments = undefined;
    throw new BitsError(
      Codes.BG_E_LOCAL_FILE_CHANGED,
      `The temp file of ${f.localPath} was replaced by something the job did not make (${found.foreign}); it was not put in place, and the file is downloaded again.`,
      ErrorContext.LOCAL_FILE,
    );
  }
  try {
    if (destination === undefined) await placeWithoutReplacing(f);
    else if (f.replaces !== undefined && f.replaces === destinationIdentity(destination)) await fs.rename(f.tempPath, f.localPath);
    else throw destinationTaken(f);
  } catch (err) {
    if (err instanceof BitsError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && (await alreadyInPlace(f))) return;
    throw localFileError(err, f.localPath);
  }
}

/**
 * The usual case in three file-system calls instead of four (a job of a thousand small files pays each of them a
 * thousand times): link the temp file to the destination (link() fails when anything is there), check that what
 * got the name is the file the job created, then drop the temp name. False, having changed nothing, for every
 * other case (something at the destination, the temp file gone or replaced, no hard links here): the careful
 * path below sorts those out. The check comes after the link, so it sees exactly what was linked.
 */
async function linkedIntoPlace(f: FileRecord): Promise<boolean> {
  try {
    await fs.link(f.tempPath, f.localPath);
  } catch {
    return false;
  }
  const linked = await fs.lstat(f.localPath, { bigint: true }).catch(() => undefined);
  if (linked === undefined || notTheJobsTemp(linked, f, true, 2n) !== undefined) {
    // Not the job's file (a link or a replacement at the temp name): the name the job made just now goes again.
    await fs.unlink(f.localPath).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw localFileError(err, f.localPath);
    });
    return false;
  }
  await fs.unlink(f.tempPath).catch((err: unknown) => {
    throw localFileError(err, f.localPath);
  });
  return true;
}

/** A synchronous run of placements lasts about this long before the event loop gets its turn. */
const SYNC_SLICE_MS = 4;
/** Whether placements are made synchronously: until the file system is found slow (see QuickCalls). */
const placements = new QuickCalls();

/**
 * The usual case of linkedIntoPlace (below) with synchronous calls, in slices of a few milliseconds: on a local
 * disk link, lstat and unlink take 5-15 µs each, where a thread-pool round trip costs the main thread 20-90 µs
 * (the pool's threads sleep between files, and each call wakes one). Once the file system is found slow
 * (slow calls in a row, where blocking on it is not worth it), what is left goes the asynchronous
 * way. (It was one placement over 1 ms: on a loaded machine one preemption sent the rest of 1,000 files there.)
 * Returns the files it did not place, having changed nothing for them (or only removed the name it made itself);
 * it never throws: whatever went wrong, the careful path finds and reports it.
 */
async function placeQuickly(files: readonly FileRecord[]): Promise<FileRecord[]> {
  const rest: FileRecord[] = [];
  let index = 0;
  while (index < files.length) {
    const sliceStarted = performance.now();
    while (index < files.length && performance.now() - sliceStarted < SYNC_SLICE_MS) {
      if (!placements.quick) return rest.concat(files.slice(index));
      const f = files[index++];
      if (!placements.timed(() => linkedIntoPlaceSync(f))) rest.push(f);
    }
    if (index < files.length) await new Promise((resolve) => setImmediate(resolve));
  }
  return rest;
}

function linkedIntoPlaceSync(f: FileRecord): boolean {
  try {
    linkSync(f.tempPath, f.localPath);
  } catch {
    return false;
  }
  try {
    const linked = lstatSync(f.localPath, { bigint: true });
    if (notTheJobsTemp(linked, f, true, 2n) === undefined) {
      unlinkSync(f.tempPath);
      return true;
    }
    // Not the job's file: the name made just now goes again (the careful path then reports the temp file).
    unlinkSync(f.localPath);
  } catch {
    // The careful path sorts it out: a failed unlink of the temp name leaves the file in place under two names,
    // which it recognises as placed; a destination that could not be removed is reported there.
  }
  return false;
}

/** `dev:ino:size:mtime` of a destination: a file written in place since then (same inode) counts as another. */
export function destinationIdentity(stats: BigIntStats): string {
  return `${identityOf(stats)}:${stats.size}:${stats.mtimeNs}`;
}

/**
 * What is at a destination when its file is added: undefined (nothing), or the identity of the file Complete
 * may replace. A folder is refused.
 */
export async function destinationAtAdd(localPath: string): Promise<string | undefined> {
  const existing = await lstatOf(localPath).catch(() => undefined);
  if (existing === undefined) return undefined;
  if (existing.isDirectory() || (existing.isSymbolicLink() && (await fs.stat(localPath).catch(() => undefined))?.isDirectory())) {
    throw new BitsError(
      Codes.E_INVALIDARG,
      `${localPath} is an existing folder; give the path of the file to create inside it.`,
      ErrorContext.LOCAL_FILE,
    );
  }
  return destinationIdentity(existing);
}

function destinationTaken(f: FileRecord): BitsError {
  return new BitsError(
    Codes.E_FILE_EXISTS,
    `${f.localPath} was created or changed after this file was added to the job (by another download or program), so it was not replaced. Move it away or delete it, then complete the job again; the download waits in its temp file.`,
    ErrorContext.LOCAL_FILE,
  );
}

/**
 * The temp file gets the destination's name only if nothing is there: link() fails when the name exists (a
 * rename would replace it), then the temp name goes. Where the file system has no hard links, a rename.
 */
async function placeWithoutReplacing(f: FileRecord): Promise<void> {
  try {
    await fs.link(f.tempPath, f.localPath);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw destinationTaken(f);
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS' && code !== 'EMLINK') throw err;
    if ((await lstatOf(f.localPath)) !== undefined) throw destinationTaken(f);
    await fs.rename(f.tempPath, f.localPath);
    return;
  }
  await fs.unlink(f.tempPath);
}

async function lstatOf(file: string): Promise<BigIntStats | undefined> {
  try {
    return await fs.lstat(file, { bigint: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw localFileError(err, file);
  }
}

async function alreadyInPlace(f: FileRecord): Promise<boolean> {
  try {
    const stats = await fs.lstat(f.localPath, { bigint: true });
    if (f.tempIdentity !== undefined) return identityOf(stats) === f.tempIdentity;
    return stats.isFile() && (f.bytesTotal === null || Number(stats.size) === f.bytesTotal);
  } catch {
    return false;
  }
}
