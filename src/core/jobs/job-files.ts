// What Complete and Cancel do to the files on disk: rename whole temp files to their final names (atomic, same
// folder), delete the rest.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { BitsError, Codes, ErrorContext } from '../errors';
import { localFileError } from '../transfer/network-errors';
import { eachLimited, FILE_CALLS_AT_ONCE } from '../util/each-limited';
import { sizeOf } from '../transfer/temp-file';
import type { CompleteResult, FileRecord } from './model';

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
  await eachLimited(transferred, FILE_CALLS_AT_ONCE, (f) => putInPlace(f));
  await deleteTempFiles(files.filter((f) => !f.transferred));
  return { code: notTransferred.length > 0 ? Codes.BG_S_PARTIAL_COMPLETE : Codes.S_OK, completed: transferred.map((f) => f.localPath), notTransferred };
}

async function putInPlace(f: FileRecord): Promise<void> {
  try {
    await fs.rename(f.tempPath, f.localPath);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && (await alreadyInPlace(f))) return;
    if (code === 'ENOENT') {
      throw new BitsError(
        Codes.E_FILE_NOT_FOUND,
        `The temp file ${f.tempPath} of ${path.basename(f.localPath)} is gone (deleted outside Managed Downloads?); cancel the job and download again.`,
        ErrorContext.LOCAL_FILE,
      );
    }
    throw localFileError(err, f.localPath);
  }
}

async function alreadyInPlace(f: FileRecord): Promise<boolean> {
  try {
    return (await fs.stat(f.localPath)).isFile() && (f.bytesTotal === null || (await sizeOf(f.localPath)) === f.bytesTotal);
  } catch {
    return false;
  }
}
