// The file names the CLI saves URLs under: the editor's rules (core/util/file-name), and no two alike.
import { fileNameFromUrl } from '../core/util/file-name';
import { UsageError } from './usage';

export function fileNameFor(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`"${url}" is not a valid URL.`);
  }
  return fileNameFromUrl(parsed);
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
