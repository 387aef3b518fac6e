// A file the user named on the command line (-i FILE, --ca-file FILE), read with a message that names the option.
import { readFileSync } from 'node:fs';
import { BitsError, Codes, ErrorContext, fileSystemError } from '../core/errors';

export function readNamedFile(file: string, option: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new BitsError(Codes.E_FILE_NOT_FOUND, `${option} ${file} does not exist. Check the path.`, ErrorContext.LOCAL_FILE);
    }
    throw fileSystemError(err, `Reading ${option} ${file}`, ErrorContext.LOCAL_FILE, {
      denied: `Make the file readable, or give another ${option}.`,
      full: 'Free some space, then try again.',
      other: `Check the path given to ${option}.`,
    });
  }
}
