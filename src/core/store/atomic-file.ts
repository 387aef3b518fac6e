// Crash-safe replacement of a small file: write a temp file beside it, fsync, rename over, fsync the folder.
// A reader (or a restart after a crash) sees the old content or the new one, never a mix.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

let counter = 0;

/** Suffix of the temp files writeAtomically leaves behind only when the process dies mid-write. */
export const ATOMIC_TEMP_MARK = '.tmp-';

export async function writeAtomically(file: string, data: string | Buffer): Promise<void> {
  const temp = `${file}${ATOMIC_TEMP_MARK}${process.pid}-${++counter}`;
  try {
    const handle = await fs.open(temp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, file);
  } catch (err) {
    // A full disk or a failed rename leaves nothing behind; the previous file is intact.
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw err;
  }
  await syncFolder(path.dirname(file));
}

/** Makes the rename itself durable. Not every platform can open a folder (Windows cannot); the rename stands anyway. */
async function syncFolder(folder: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(folder, 'r');
    await handle.sync();
  } catch {
    // Best effort, see above.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
