// File names: the name a URL is saved under (shared by the editor and the CLI so both apply the same rules), and
// whether a file system can hold a given name at all (checked when a file is added, before any byte is fetched).

// Characters no file system takes in a name (Windows's set, the strictest), control characters, and the
// invisible direction and width marks that make "evil\u202Etxt.exe" look like another name.
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be replaced
const forbidden = /[<>:"/\\|?*\u0000-\u001f\u007f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/** Bytes per name on Linux and macOS (NAME_MAX); on Windows the limit is 255 UTF-16 units, never more than this. */
export const MAX_NAME_BYTES = 255;
/** A name made from a URL stays this short, leaving room for the temp file's longer name beside it. */
const MAX_URL_NAME_BYTES = 200;

/**
 * The last path segment of the URL, decoded and made safe as a file name on every platform (no separators, so
 * it can never point outside the destination folder; no leading dots; no Windows device name; no trailing dot or
 * space; at most 200 bytes); "<host>-download" or "download" when there is none.
 */
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
  name = cutToBytes(name, MAX_URL_NAME_BYTES).replace(/[. ]+$/, '');
  if (isWindowsDeviceName(name)) name = `_${name}`;
  return name || 'download';
}

/** The longest prefix of `name` that fits in `bytes` bytes of UTF-8, never cutting a character in two. */
export function cutToBytes(name: string, bytes: number): string {
  if (Buffer.byteLength(name) <= bytes) return name;
  let out = '';
  let used = 0;
  for (const ch of name) {
    const size = Buffer.byteLength(ch);
    if (used + size > bytes) break;
    out += ch;
    used += size;
  }
  return out;
}

// CON, PRN, AUX, NUL, COM0-9 and LPT0-9 (also with the superscript digits Windows treats alike), with or without an
// extension: Windows opens the device instead of a file.
const windowsDevice = /^(con|prn|aux|nul|com[0-9\u00b9\u00b2\u00b3]|lpt[0-9\u00b9\u00b2\u00b3])$/i;

export function isWindowsDeviceName(name: string): boolean {
  return windowsDevice.test(name.split('.')[0].trimEnd());
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what Windows refuses in a name
const windowsForbidden = /[<>:"|?*\u0000-\u001f]/;

export type NameProblem = { kind: 'too-long' | 'invalid'; reason: string };

/** Why a file system on `platform` cannot hold `name` (one path component), or undefined when it can. */
export function nameProblem(name: string, platform: NodeJS.Platform = process.platform): NameProblem | undefined {
  if (name.includes('\0')) return { kind: 'invalid', reason: 'it contains a NUL character' };
  if (platform === 'win32') {
    if (name.length > MAX_NAME_BYTES)
      return { kind: 'too-long', reason: `it is ${name.length} characters long; Windows holds at most ${MAX_NAME_BYTES} per name` };
    const bad = windowsForbidden.exec(name);
    if (bad) return { kind: 'invalid', reason: `Windows does not allow the character ${JSON.stringify(bad[0])} in a name` };
    if (isWindowsDeviceName(name))
      return { kind: 'invalid', reason: `${name.split('.')[0].trimEnd().toUpperCase()} is a device name on Windows, not a file` };
    if (/[. ]$/.test(name)) return { kind: 'invalid', reason: 'Windows drops a trailing dot or space, so the file would get another name' };
    return undefined;
  }
  const bytes = Buffer.byteLength(name);
  if (bytes > MAX_NAME_BYTES) {
    return {
      kind: 'too-long',
      reason: `it is ${bytes} bytes long in UTF-8; the file system holds at most ${MAX_NAME_BYTES} bytes per name`,
    };
  }
  return undefined;
}

/** Whole-path limits in bytes (PATH_MAX less its NUL); Windows paths are sent in their long form (\\?\), so none there. */
export function maxPathBytes(platform: NodeJS.Platform = process.platform): number | undefined {
  if (platform === 'darwin') return 1023;
  if (platform === 'win32') return undefined;
  return 4095;
}
