// Where a URL lands on disk: a safe file name taken from the URL, made unique the way browsers do
// ("name (1).ext"), so a new download never overwrites a file the user already has.
// No vscode import.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BitsError, Codes } from '../core/errors';

/** Parses one http(s) URL or throws a BitsError that says what is wrong with it. */
export function parseDownloadUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new BitsError(Codes.E_INVALIDARG, `"${text.trim()}" is not a URL. Enter a full address such as https://example.com/file.zip.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new BitsError(Codes.BG_E_PROTOCOL_NOT_AVAILABLE, `Only http and https URLs can be downloaded, not ${url.protocol.replace(/:$/, '')}: (${text.trim()}).`);
  }
  return url;
}

/** Splits what a person typed or pasted (spaces, commas, new lines) into URLs. */
export function splitUrls(text: string): string[] {
  return text.split(/[\s,]+/).filter(Boolean);
}

// Characters no file system takes in a name (Windows's set, the strictest), and control characters.
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be replaced
const forbidden = /[<>:"/\\|?*\u0000-\u001f]/g;

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
