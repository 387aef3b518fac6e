// New Download prefilled from the editor or the clipboard (issue 16): what is offered, and what is not.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { suggestUrls, trimUrlToken, urlAtCursor, urlsInText, urlsOnClipboard } from '../../../src/ui/urlSuggestion';

test('a URL written in prose, Markdown, HTML or code loses the punctuation around it', () => {
  assert.equal(trimUrlToken('https://x.test/a.zip.'), 'https://x.test/a.zip');
  assert.equal(trimUrlToken('(https://x.test/a.zip)'), 'https://x.test/a.zip');
  assert.equal(trimUrlToken('"https://x.test/a.zip",'), 'https://x.test/a.zip');
  assert.equal(trimUrlToken('[link](https://x.test/a.zip)'), 'https://x.test/a.zip');
  assert.equal(
    trimUrlToken('https://en.wikipedia.test/wiki/A_(b)'),
    'https://en.wikipedia.test/wiki/A_(b)',
    'a balanced bracket is part of the URL',
  );
  assert.equal(trimUrlToken('https://x.test/q?a=1&b=2'), 'https://x.test/q?a=1&b=2');
});

test('urlsInText finds every downloadable URL once, and skips what New Download would refuse', () => {
  const text =
    'get https://x.test/a.zip or <https://x.test/b.tar.gz>; not ftp://x.test/c, not https://user:pw@x.test/d, again https://x.test/a.zip';
  assert.deepEqual(urlsInText(text), ['https://x.test/a.zip', 'https://x.test/b.tar.gz']);
  assert.deepEqual(urlsInText('no links here'), []);
});

test('urlAtCursor names the URL the cursor is in or just after, and nothing elsewhere on the line', () => {
  const line = 'see [the SDK](https://x.test/sdk.zip) and https://x.test/other.bin';
  const start = line.indexOf('https://x.test/sdk.zip');
  assert.equal(urlAtCursor(line, start), 'https://x.test/sdk.zip');
  assert.equal(urlAtCursor(line, start + 10), 'https://x.test/sdk.zip');
  assert.equal(urlAtCursor(line, start + 'https://x.test/sdk.zip'.length), 'https://x.test/sdk.zip', 'just after the URL');
  assert.equal(urlAtCursor(line, 2), undefined);
  assert.equal(urlAtCursor(line, line.length), 'https://x.test/other.bin');
  assert.equal(urlAtCursor('ftp://x.test/a', 3), undefined);
});

test('the clipboard counts only when it holds URLs and nothing else', () => {
  assert.deepEqual(urlsOnClipboard('  https://x.test/a.zip\n'), ['https://x.test/a.zip']);
  assert.deepEqual(urlsOnClipboard('https://x.test/a.zip https://x.test/b.zip, https://x.test/a.zip'), [
    'https://x.test/a.zip',
    'https://x.test/b.zip',
  ]);
  assert.deepEqual(urlsOnClipboard('read https://x.test/a.zip first'), [], 'prose that mentions a link');
  assert.deepEqual(urlsOnClipboard('https://user:secret@x.test/a.zip'), [], 'credentials in the URL');
  assert.deepEqual(urlsOnClipboard(''), []);
  assert.deepEqual(urlsOnClipboard('https://x.test/' + 'a'.repeat(70_000)), [], 'a clipboard too long to be a link');
  assert.deepEqual(urlsOnClipboard(Array.from({ length: 101 }, (_, i) => `https://x.test/${i}`).join(' ')), [], 'too many URLs');
});

test('the selection wins over the cursor, the cursor over the clipboard', () => {
  const clipboard = 'https://x.test/copied.zip';
  const line = { text: 'url: https://x.test/under-cursor.zip', cursor: 10 };
  assert.deepEqual(suggestUrls({ selection: 'a https://x.test/s1.zip b https://x.test/s2.zip', line, clipboard }), {
    urls: ['https://x.test/s1.zip', 'https://x.test/s2.zip'],
    from: 'selection',
  });
  assert.deepEqual(suggestUrls({ selection: '', line, clipboard }), { urls: ['https://x.test/under-cursor.zip'], from: 'editor' });
  assert.deepEqual(suggestUrls({ line: { text: 'nothing', cursor: 2 }, clipboard }), {
    urls: ['https://x.test/copied.zip'],
    from: 'clipboard',
  });
  assert.equal(suggestUrls({ selection: 'plain words', clipboard: 'not a url' }), undefined);
  assert.equal(suggestUrls({}), undefined);
});
