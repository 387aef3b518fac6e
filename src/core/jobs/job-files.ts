// What Complete and Cancel do to the files on disk: rename whole temp files to their final names (atomic, same
// folder), delete the rest.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { BitsError, Codes, ErrorContext } from '../errors';
import { localFileError } from '../transfer/network-errors';
import { sizeOf } from '../transfer/temp-file';
import type { CompleteResult, FileRecord } from './model';

/** Deletes the temp files; returns the ones that could not be deleted. */
export async function deleteTempFiles(files: readonly FileRecord[]): Promise<string[]> {
  const failed: string[] = [];
  for (const f of files) {
    try {
      await fs.rm(f.tempPath, { force: true });
    } catch {
      failed.push(f.tempPath);
    }
  }
  return failed;
}

/**
 * Renames every transferred file into place and deletes the temp files of the others. Safe to run again after
 * a crash half-way: a transferred file whose temp file is gone but whose final file has the right size was
 * already renamed.
 */
export async function completeFiles(files: readonly FileRecord[]): Promise<CompleteResult> {
  const completed: string[] = [];
  const notTransferred: string[] = [];
  for (const f of files) {
    if (!f.transferred) {
      notTransferred.push(f.localPath);
      continue;
    }
    try {
      await fs.rename(f.tempPath, f.localPath);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && (await alreadyInPlace(f))) {
        completed.push(f.localPath);
        continue;
      }
      if (code === 'ENOENT') {
        throw new BitsError(
          Codes.E_FILE_NOT_FOUND,
          `The temp file ${f.tempPath} of ${path.basename(f.localPath)} is gone (deleted outside Managed Downloads?); cancel the job and download again.`,
          ErrorContext.LOCAL_FILE,
        );
      }
      throw localFileError(err, f.localPath);
    }
    completed.push(f.localPath);
  }
  await deleteTempFiles(files.filter((f) => !f.transferred));
  return { code: notTransferred.length > 0 ? Codes.BG_S_PARTIAL_COMPLETE : Codes.S_OK, completed, notTransferred };
}

async function alreadyInPlace(f: FileRecord): Promise<boolean> {
  try {
    return (await fs.stat(f.localPath)).isFile() && (f.bytesTotal === null || (await sizeOf(f.localPath)) === f.bytesTotal);
  } catch {
    return false;
  }
}
