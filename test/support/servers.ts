// A real HTTP/HTTPS server on loopback that misbehaves on purpose, per route and per request: ranges on or off,
// a reset or a stall at byte N, a slow drip, a truncated body, a changed ETag, a wrong Content-Range, no
// Content-Length, error statuses with Retry-After, redirect chains. It records every request it receives.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { join } from 'node:path';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { makeCA, makeLeaf, type Issued } from './certs';

export interface Behaviour {
  /** The entity served (absent with `status` or `redirect`). */
  body?: Buffer;
  /** Answer this status with a short text body instead of the entity. */
  status?: number;
  /** Extra response headers (e.g. Retry-After). */
  headers?: Record<string, string>;
  /** Honour Range requests (default true); false answers every GET with 200 and the whole body. */
  ranges?: boolean;
  /** Default: a strong ETag from the body's hash; null sends none. */
  etag?: string | null;
  /** Default: a fixed date; null sends none. */
  lastModified?: string | null;
  /** false: no Content-Length, the body ends when the connection closes. */
  contentLength?: boolean;
  /** Destroy the connection after this many bytes of this response's body. */
  resetAfter?: number;
  /** Send this many bytes, then nothing more (the connection stays open). */
  stallAfter?: number;
  /** Close the connection cleanly after this many bytes although Content-Length promised more. */
  truncateAfter?: number;
  /** Wait this long before answering at all (the connection stays open, nothing is sent). */
  delayHeadersMs?: number;
  /** Pace the body at about this rate. */
  bytesPerSecond?: number;
  /** Redirect here (relative or absolute). */
  redirect?: string;
  redirectStatus?: number;
  /** Replace the Content-Range header of a 206 (to send a wrong one). */
  contentRange?: string;
  /** Serve a Range request whatever its If-Range says (a server that ignores If-Range). */
  ignoreIfRange?: boolean;
  /** Send these bytes after the part, with no Content-Length (chunked): a body that runs past its Content-Range. */
  overrun?: Buffer;
}

/** A route's behaviour, fixed or chosen per request (n counts this route's requests from 1). */
export type Route = Behaviour | ((n: number, req: http.IncomingMessage) => Behaviour);

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** Epoch ms of arrival. */
  at: number;
  /** The common name of the client certificate the request came with (servers that require one). */
  clientCertificate?: string;
}

export interface TestServer {
  /** http://127.0.0.1:port or https://... */
  origin: string;
  url(path: string): string;
  route(path: string, route: Route): void;
  requests: RecordedRequest[];
  requestsFor(path: string): RecordedRequest[];
  /** HTTPS only: serve new connections with this certificate (a renewal mid-job). */
  setCertificate(cert: string, key: string): void;
  close(): Promise<void>;
}

export interface ServerOptions {
  /** Serve HTTPS with this certificate chain and key (PEM); with clientCa, require a client certificate it issued. */
  tls?: { cert: string; key: string; clientCa?: string; maxVersion?: 'TLSv1.2' | 'TLSv1.3' };
  host?: string;
}

const FIXED_LAST_MODIFIED = 'Wed, 21 Oct 2026 07:28:00 GMT';

export function etagOf(body: Buffer): string {
  return `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`;
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Deterministic pseudo-random bytes (incompressible, different at every offset, so misplaced bytes show). */
export function testBytes(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export async function startServer(options: ServerOptions = {}): Promise<TestServer> {
  const routes = new Map<string, Route>();
  const counts = new Map<string, number>();
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();

  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    const peer = 'getPeerCertificate' in req.socket ? (req.socket as TLSSocket).getPeerCertificate() : undefined;
    requests.push({
      method: req.method ?? 'GET',
      path,
      headers: req.headers,
      at: Date.now(),
      ...(peer?.subject ? { clientCertificate: String(peer.subject.CN) } : {}),
    });
    const route = routes.get(path);
    if (!route) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    const n = (counts.get(path) ?? 0) + 1;
    counts.set(path, n);
    serve(typeof route === 'function' ? route(n, req) : route, req, res);
  };

  const clientAuth = options.tls?.clientCa ? { ca: options.tls.clientCa, requestCert: true, rejectUnauthorized: true } : {};
  const server = options.tls
    ? https.createServer({ cert: options.tls.cert, key: options.tls.key, maxVersion: options.tls.maxVersion, ...clientAuth }, handler)
    : http.createServer(handler);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  if (options.tls) {
    server.on('secureConnection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
  }
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `${options.tls ? 'https' : 'http'}://${host}:${port}`;
  return {
    origin,
    url: (path) => origin + path,
    route: (path, route) => routes.set(path, route),
    requests,
    requestsFor: (path) => requests.filter((r) => r.path === path),
    setCertificate: (cert, key) => (server as https.Server).setSecureContext({ cert, key }),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function serve(b: Behaviour, req: http.IncomingMessage, res: http.ServerResponse): void {
  if (b.delayHeadersMs) {
    const timer = setTimeout(() => serve({ ...b, delayHeadersMs: undefined }, req, res), b.delayHeadersMs);
    res.once('close', () => clearTimeout(timer));
    return;
  }
  const extra = b.headers ?? {};
  if (b.redirect !== undefined) {
    res.writeHead(b.redirectStatus ?? 302, { Location: b.redirect, 'Content-Length': '0', ...extra }).end();
    return;
  }
  if (b.status !== undefined) {
    const text = `status ${b.status}`;
    res.writeHead(b.status, { 'Content-Type': 'text/plain', 'Content-Length': String(text.length), ...extra }).end(text);
    return;
  }
  const body = b.body ?? Buffer.alloc(0);
  const etag = b.etag === undefined ? etagOf(body) : b.etag;
  const lastModified = b.lastModified === undefined ? FIXED_LAST_MODIFIED : b.lastModified;
  const headers: Record<string, string> = { 'Content-Type': 'application/octet-stream', ...extra };
  if (etag) headers['ETag'] = etag;
  if (lastModified) headers['Last-Modified'] = lastModified;
  if (b.ranges !== false) headers['Accept-Ranges'] = 'bytes';

  let start = 0;
  let end = body.length;
  let status = 200;
  const range = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers['range'] ?? ''));
  const ifRange = req.headers['if-range'];
  const rangeStillValid = b.ignoreIfRange === true || ifRange === undefined || ifRange === etag || ifRange === lastModified;
  if (b.ranges !== false && range && rangeStillValid) {
    start = Number(range[1]);
    if (start >= body.length) {
      res.writeHead(416, { 'Content-Range': `bytes */${body.length}`, 'Content-Length': '0', ...extra }).end();
      return;
    }
    status = 206;
    // A closed range (bytes=a-b, as segmented downloads ask) ends at b, or at the body's end.
    if (range[2]) end = Math.min(body.length, Number(range[2]) + 1);
    headers['Content-Range'] = b.contentRange ?? `bytes ${start}-${end - 1}/${body.length}`;
  }
  const part = b.overrun ? Buffer.concat([body.subarray(start, end), b.overrun]) : body.subarray(start, end);
  if (b.overrun) {
    // Chunked: nothing in the framing bounds the body, only the Content-Range does.
  } else if (b.contentLength === false) headers['Connection'] = 'close';
  else headers['Content-Length'] = String(part.length);
  res.writeHead(status, headers);
  void sendBody(b, part, res);
}

async function sendBody(b: Behaviour, part: Buffer, res: http.ServerResponse): Promise<void> {
  const stopAt = Math.min(part.length, b.resetAfter ?? Infinity, b.stallAfter ?? Infinity, b.truncateAfter ?? Infinity);
  const chunk = b.bytesPerSecond ? Math.max(1, Math.floor(b.bytesPerSecond / 20)) : 64 * 1024;
  let sent = 0;
  while (sent < stopAt && !res.destroyed) {
    const piece = part.subarray(sent, Math.min(stopAt, sent + chunk));
    sent += piece.length;
    const flushed = res.write(piece);
    if (b.bytesPerSecond) await delay(50);
    else if (!flushed) await drainedOrClosed(res);
  }
  if (res.destroyed) return;
  if (b.resetAfter !== undefined && sent >= b.resetAfter) {
    // Let the bytes already written leave before the connection drops.
    setTimeout(() => res.socket?.destroy(), 20);
  } else if (b.stallAfter !== undefined && sent >= b.stallAfter) {
    // Say nothing more; the client must notice on its own.
  } else if (b.truncateAfter !== undefined && sent >= b.truncateAfter) {
    setTimeout(() => res.socket?.end(), 20);
  } else if (b.contentLength === false) {
    res.end(() => res.socket?.end());
  } else {
    res.end();
  }
}

/**
 * Resolves when `res` can take more bytes ('drain') or is gone ('close'), and removes both listeners whichever
 * comes first: a long body waits for many drains, and a 'close' listener left behind by each would pile up.
 */
export function drainedOrClosed(res: http.ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => {
    if (res.destroyed) return resolve();
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface TlsTestServer {
  server: TestServer;
  /** The CA that issued the server's certificate (made now; trusted by nothing until a test says so). */
  ca: Issued;
  /** The server's own certificate and key. */
  leaf: Issued;
}

/** An HTTPS server on loopback whose certificate, for `hosts` (127.0.0.1 unless given), a CA made now issued. */
export async function startTlsServer(options: { caName?: string; hosts?: string[] } = {}): Promise<TlsTestServer> {
  const ca = makeCA(options.caName);
  const leaf = makeLeaf(ca, { hosts: options.hosts ?? ['127.0.0.1'] });
  const server = await startServer({ tls: { cert: leaf.cert, key: leaf.key } });
  return { server, ca, leaf };
}

/**
 * One file served over HTTPS at `route` for the test `t` (closed when it ends), with its CA written to
 * `folder`/ca.pem for --ca-file or NODE_EXTRA_CA_CERTS.
 */
export async function serverForFile(
  t: { after: (fn: () => Promise<void>) => void },
  folder: string,
  route: string,
  body: Buffer,
  options: { caName?: string } = {},
): Promise<TlsTestServer & { caFile: string; url: string }> {
  const tls = await startTlsServer(options);
  t.after(() => tls.server.close());
  tls.server.route(route, { body });
  const caFile = join(folder, 'ca.pem');
  writeFileSync(caFile, tls.ca.cert);
  return { ...tls, caFile, url: tls.server.url(route) };
}
