// The file name a URL is saved under, shared by the editor and the CLI so both apply the same rules.

// Characters no file system takes in a name (Windows's set, the strictest), control characters, and the
// invisible direction and width marks that make "evil\u202Etxt.exe" look like another name.
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be replaced
const forbidden = /[<>:"/\\|?*\u0000-\u001f\u007f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/**
 * The last path segment of the URL, decoded and made safe as a file name (no separators, so it can never
 * point outside the destination folder; no leading dots); "<host>-download" or "download" when there is none.
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
  return name.length > 200 ? name.slice(0, 200) : name;
}
