// --ca-file FILE: a CA phase 1 trusts for this command, as the setting managedDownloads.extraCaFiles does in the
// editor. The trust store only notes a file it cannot use; on the command line that is a mistake to say at once.
import { BitsError, Codes, ErrorContext } from '../core/errors';
import { splitPem } from '../core/tls/trust-store';
import { readNamedFile } from './read-file';

export function checkCaFiles(files: readonly string[]): void {
  for (const file of files) {
    const text = readNamedFile(file, '--ca-file');
    if (splitPem(text).length === 0) {
      throw new BitsError(
        Codes.E_INVALIDARG,
        `--ca-file ${file} holds no PEM certificate ("-----BEGIN CERTIFICATE-----"): give the CA's certificate in PEM.`,
        ErrorContext.LOCAL_FILE,
      );
    }
  }
}
