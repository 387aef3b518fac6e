// The file name a URL is saved under: its last path segment, decoded, with nothing that could leave the
// destination folder or trouble a file system.
import { UsageError } from './usage';

export function fileNameFor(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`"${url}" is not a valid URL.`);
  }
  const segment = parsed.pathname.split('/').filter(Boolean).pop() ?? '';
  let name: string;
  try {
    name = decodeURIComponent(segment);
  } catch {
    name = segment;
  }
  // Separators and control characters are replaced, so a name can never point outside the destination.
  // eslint-disable-next-line no-control-regex
  name = name.replace(/[/\\\u0000-\u001f<>:"|?*]/g, '_').trim();
  if (name === '' || name === '.' || name === '..') name = parsed.hostname.replace(/[^A-Za-z0-9.-]/g, '_') || 'download';
  return name;
}

/** One name per URL; two URLs that would land on the same name are an error, not a silent overwrite. */
export function fileNamesFor(urls: readonly string[]): string[] {
  const names = urls.map(fileNameFor);
  const seen = new Map<string, string>();
  names.forEach((name, i) => {
    const key = process.platform === 'linux' ? name : name.toLowerCase();
    const first = seen.get(key);
    if (first) throw new UsageError(`${first} and ${urls[i]} would both be saved as ${name}; download them into different --dest folders.`);
    seen.set(key, urls[i]);
  });
  return names;
}
