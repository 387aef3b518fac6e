// The demo server's request handler: an index page, and each demo file with Range, If-Range, ETag,
// Last-Modified, HEAD, and an optional rate limit.
import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { DemoFile } from './files';
import { ifRangeMatches, parseRange } from './ranges';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * When each rate-limited file may send its next byte. The limit is per file, shared by all its connections,
 * so a segmented download (several Range connections) still watches the same slow file a person would.
 */
const nextSendTime = new Map<string, number>();

async function waitForRate(file: DemoFile, bytes: number): Promise<void> {
  if (!file.bytesPerSecond) return;
  const start = Math.max(Date.now(), nextSendTime.get(file.path) ?? 0);
  const due = start + (bytes / file.bytesPerSecond) * 1000;
  nextSendTime.set(file.path, due);
  if (due > Date.now()) await sleep(due - Date.now());
}

/** Resolves when `res` can take more data or is gone, leaving no listener behind either way. */
async function drainedOrClosed(res: ServerResponse): Promise<void> {
  const stop = new AbortController();
  try {
    await Promise.race([once(res, 'drain', { signal: stop.signal }), once(res, 'close', { signal: stop.signal })]);
  } finally {
    stop.abort();
  }
}

/** Streams bytes [start, end] of `file` to `res`, no faster than its rate, and stops when the client goes. */
async function sendBytes(res: ServerResponse, file: DemoFile, start: number, end: number): Promise<void> {
  const stream = createReadStream(file.path, { start, end, highWaterMark: 64 * 1024 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (res.destroyed) break;
      await waitForRate(file, chunk.length);
      if (res.destroyed) break;
      if (!res.write(chunk)) await drainedOrClosed(res);
    }
  } finally {
    stream.destroy();
  }
  if (!res.destroyed) res.end();
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);
}

function indexPage(files: DemoFile[]): string {
  const rows = files
    .map(
      (f) =>
        `<tr><td><a href="/${encodeURIComponent(f.name)}">${escapeHtml(f.name)}</a></td><td>${f.bytes}</td><td>${escapeHtml(f.description)}</td><td><code>${f.sha256}</code></td></tr>`,
    )
    .join('\n');
  return `<!doctype html><meta charset="utf-8"><title>Managed Downloads demo server</title>
<h1>Managed Downloads demo server</h1>
<p>Files for trying the extension. Range requests, If-Range and ETag are supported; <a href="/SHA256SUMS">SHA256SUMS</a>.</p>
<table><tr><th>file</th><th>bytes</th><th></th><th>sha256</th></tr>
${rows}
</table>\n`;
}

export function demoRequestHandler(files: DemoFile[], log: (line: string) => void = () => {}) {
  const byPath = new Map(files.map((f) => [`/${encodeURIComponent(f.name)}`, f]));
  return (req: IncomingMessage, res: ServerResponse): void => {
    const path = new URL(req.url ?? '/', 'https://demo').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/' || path === '/SHA256SUMS') {
      const [type, body] =
        path === '/'
          ? ['text/html; charset=utf-8', indexPage(files)]
          : ['text/plain; charset=utf-8', files.map((f) => `${f.sha256}  ${f.name}\n`).join('')];
      res.writeHead(200, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    const file = byPath.get(path);
    if (!file) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`no such demo file: ${path}\n`);
      return;
    }
    const common = {
      'Accept-Ranges': 'bytes',
      'Content-Type': 'application/octet-stream',
      ETag: file.etag,
      'Last-Modified': file.lastModified.toUTCString(),
      'Cache-Control': 'no-cache',
    };
    if (req.headers['if-none-match'] === file.etag) {
      res.writeHead(304, common).end();
      return;
    }
    let range = parseRange(req.headers.range, file.bytes);
    const ifRange = req.headers['if-range'];
    if (range.kind !== 'full' && !ifRangeMatches(Array.isArray(ifRange) ? ifRange[0] : ifRange, file.etag, file.lastModified))
      range = { kind: 'full' };
    if (range.kind === 'unsatisfiable') {
      res.writeHead(416, { ...common, 'Content-Range': `bytes */${file.bytes}` }).end();
      return;
    }
    const [start, end] = range.kind === 'partial' ? [range.start, range.end] : [0, file.bytes - 1];
    const headers: Record<string, string | number> = { ...common, 'Content-Length': end - start + 1 };
    if (range.kind === 'partial') headers['Content-Range'] = `bytes ${start}-${end}/${file.bytes}`;
    res.writeHead(range.kind === 'partial' ? 206 : 200, headers);
    log(`${req.method} ${path} ${range.kind === 'partial' ? `206 bytes ${start}-${end}` : '200'}`);
    if (req.method === 'HEAD' || file.bytes === 0) {
      res.end();
      return;
    }
    sendBytes(res, file, start, end).catch((e: unknown) => {
      log(`${path}: ${e instanceof Error ? e.message : String(e)}`);
      res.destroy();
    });
  };
}
