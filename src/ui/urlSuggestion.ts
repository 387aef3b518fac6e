// What New Download offers before the person types: the URL(s) they selected or have the cursor on in the
// editor, else the URL(s) on the clipboard, the way download managers pick up a copied link.
// Only what New Download would accept (http(s), no user name or password) is offered, and only a clipboard
// that holds URLs and nothing else: a copied paragraph that mentions a link is not a download request.
// Pure (no vscode import).
import { parseDownloadUrl, splitUrls } from './destinations';

export interface UrlSources {
  /** The active editor's selected text ('' when nothing is selected). */
  selection?: string;
  /** The line the cursor is on, and the cursor's character offset in it. */
  line?: { text: string; cursor: number };
  clipboard?: string;
}

export interface UrlSuggestion {
  urls: string[];
  from: 'selection' | 'editor' | 'clipboard';
}

/** More than this many URLs (or characters on the clipboard) is not a link someone meant to download. */
export const MAX_SUGGESTED_URLS = 100;
export const MAX_CLIPBOARD_CHARS = 64 * 1024;

function isDownloadable(text: string): boolean {
  try {
    parseDownloadUrl(text);
    return true;
  } catch {
    return false;
  }
}

// Characters around a URL in prose, Markdown, code and HTML that are not part of it.
const OPENERS = `"'<([{\``;
const TRAILERS = /[.,;:!?'"`>)\]}]+$/;

/** A URL as written in text, without the punctuation around it ("(see https://x/a.zip)." -> https://x/a.zip). */
export function trimUrlToken(token: string): string {
  let t = token;
  const start = t.search(/https?:\/\//i);
  if (start > 0) t = t.slice(start);
  else if (start < 0) while (t && OPENERS.includes(t[0])) t = t.slice(1);
  // A closing bracket that has its opener inside the URL belongs to it (Wikipedia-style "a_(b)").
  for (;;) {
    const m = TRAILERS.exec(t);
    if (!m) break;
    const last = t[t.length - 1];
    const pair = { ')': '(', ']': '[', '}': '{' }[last];
    if (pair && count(t, pair) >= count(t, last)) break;
    t = t.slice(0, -1);
  }
  return t;
}

function count(text: string, ch: string): number {
  return text.split(ch).length - 1;
}

/** Every http(s) URL in `text` that New Download accepts, in order, without duplicates. */
export function urlsInText(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/https?:\/\/[^\s"'<>`]+/gi)) {
    const url = trimUrlToken(match[0]);
    if (isDownloadable(url) && !found.includes(url)) found.push(url);
    if (found.length >= MAX_SUGGESTED_URLS) break;
  }
  return found;
}

/** The URL the cursor is on (or just after), or undefined. */
export function urlAtCursor(lineText: string, cursor: number): string | undefined {
  for (const match of lineText.matchAll(/https?:\/\/[^\s"'<>`]+/gi)) {
    const start = match.index ?? 0;
    const url = trimUrlToken(match[0]);
    if (cursor >= start && cursor <= start + url.length) return isDownloadable(url) ? url : undefined;
  }
  return undefined;
}

/** The clipboard's URLs when it holds URLs and nothing else (spaces, commas and new lines between them). */
export function urlsOnClipboard(clipboard: string): string[] {
  if (!clipboard.trim() || clipboard.length > MAX_CLIPBOARD_CHARS) return [];
  const tokens = splitUrls(clipboard);
  if (tokens.length > MAX_SUGGESTED_URLS || !tokens.every(isDownloadable)) return [];
  return [...new Set(tokens)];
}

/** The first source that names URLs: the editor's selection, the URL under the cursor, then the clipboard. */
export function suggestUrls(sources: UrlSources): UrlSuggestion | undefined {
  const selected = sources.selection ? urlsInText(sources.selection) : [];
  if (selected.length) return { urls: selected, from: 'selection' };
  const atCursor = sources.line ? urlAtCursor(sources.line.text, sources.line.cursor) : undefined;
  if (atCursor) return { urls: [atCursor], from: 'editor' };
  const copied = sources.clipboard ? urlsOnClipboard(sources.clipboard) : [];
  if (copied.length) return { urls: copied, from: 'clipboard' };
  return undefined;
}
