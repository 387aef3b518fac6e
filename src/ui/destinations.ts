// Where a URL lands on disk: a safe file name taken from the URL, made unique the way browsers do
// ("name (1).ext"), so a new download never overwrites a file the user already has.
// No vscode import.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BitsError, Codes } from '../core/errors';
import { displayUrl } from '../core/util/url';
import { t } from './l10n';

export { fileNameFromUrl } from '../core/util/file-name';

/** Parses one http(s) URL or throws a BitsError that says what is wrong with it. */
export function parseDownloadUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new BitsError(
      Codes.E_INVALIDARG,
      t('"{0}" is not a URL. Enter a full address such as https://example.com/file.zip.', displayUrl(text.trim()).slice(0, 300)),
    );
  }
  // Messages show the URL without credentials, and a data: URL only by its scheme (it can be megabytes).
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new BitsError(
      Codes.BG_E_PROTOCOL_NOT_AVAILABLE,
      t('Only http and https URLs can be downloaded, not {0}: URLs.', url.protocol.replace(/:$/, '')),
    );
  }
  if (url.username || url.password) {
    throw new BitsError(
      Codes.E_INVALIDARG,
      t(
        'The URL {0} carries a user name or password, which would be stored with the job. Remove them and use Managed Downloads: Set Write-Only Header (e.g. Authorization) instead; its value is kept in the secret store.',
        displayUrl(url),
      ),
    );
  }
  return url;
}

/** Splits what a person typed or pasted (spaces, commas, new lines) into URLs. */
export function splitUrls(text: string): string[] {
  return text.split(/[\s,]+/).filter(Boolean);
}

/**
 * A path in `folder` for `name` that neither exists on disk nor is in `taken` (paths already chosen for the
 * same job): "file.zip", then "file (1).zip", "file (2).zip"...
 */
export function uniqueDestination(folder: string, name: string, taken: ReadonlySet<string>): string {
  const ext = path.extname(name);
  const stem = ext ? name.slice(0, -ext.length) : name;
  for (let n = 0; ; n++) {
    const candidate = path.join(folder, n === 0 ? name : `${stem} (${n})${ext}`);
    if (!taken.has(candidate) && !fs.existsSync(candidate)) return candidate;
  }
}

/**
 * Where "Download Again" puts each file: the folder it went to before, under its old name when that is free,
 * else the next free "name (n).ext" (a file already there, one of `taken`, or one chosen for an earlier file
 * of the same batch), so downloading again never overwrites what the person has.
 */
export function againDestinations(previousPaths: readonly string[], taken: ReadonlySet<string>): string[] {
  const chosen = new Set(taken);
  return previousPaths.map((previous) => {
    // A copy made before ("name (1).ext") is numbered from its original name: "name (2).ext", not "name (1) (1).ext".
    const name =
      chosen.has(previous) || fs.existsSync(previous)
        ? path.basename(previous).replace(/ \(\d+\)(?=(\.[^.]*)?$)/, '')
        : path.basename(previous);
    const target = uniqueDestination(path.dirname(previous), name, chosen);
    chosen.add(target);
    return target;
  });
}
