// Where a URL lands on disk: a safe file name taken from the URL, made unique the way browsers do
// ("name (1).ext"), so a new download never overwrites a file the user already has.
// No vscode import.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BitsError, Codes } from '../core/errors';
import { displayUrl } from '../core/util/url';

/** Parses one http(s) URL or throws a BitsError that says what is wrong with it. */
export function parseDownloadUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new BitsError(Codes.E_INVALIDARG, `"${displayUrl(text.trim()).slice(0, 300)}" is not a URL. Enter a full address such as https://example.com/file.zip.`);
  }
  // Messages show the URL without credentials, and a data: URL only by its scheme (it can be megabytes).
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new BitsError(Codes.BG_E_PROTOCOL_NOT_AVAILABLE, `Only http and https URLs can be downloaded, not ${url.protocol.replace(/:$/, '')}: URLs.`);
  }
  if (url.username || url.password) {
    throw new BitsError(
      Codes.E_INVALIDARG,
      `The URL ${displayUrl(url)} carries a user name or password, which would be stored with the job. Remove them and use Managed Downloads: Set Write-Only Header (e.g. Authorization) instead; its value is kept in the secret store.`,
    );
  }
  return url;
}

/** Splits what a person typed or pasted (spaces, commas, new lines) into URLs. */
export function splitUrls(text: string): string[] {
  return text.split(/[\s,]+/).filter(Boolean);
}

// Characters no file system takes in a name (Windows's set, the strictest), control characters, and the
// invisible direction and width marks that make "evil\u202Etxt.exe" look like another name.
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be replaced
const forbidden = /[<>:"/\\|?*\u0000-\u001f\u007f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/** The last path segment of the URL, decoded and made safe as a file name; "download" when there is none. */
export function fileNameFromUrl(url: URL): string {
  const segment = url.pathname.split('/').filter(Boolean).pop() ?? '';
  let name: string;
  try {
    name = decodeURIComponent(segment);
  } catch {
    name = segment;
  }
  name = name.replace(forbidden, '_').replace(/^\.+/, '').trim();
  if (!name) name = url.hostname ? `${url.hostname.replace(forbidden, '_')}-download` : 'download';
  return name.length > 200 ? name.slice(0, 200) : name;
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
