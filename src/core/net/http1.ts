// HTTP/1.1 by hand for the direct data path: the GET's head as sent, the answer's head parsed strictly, and the
// body's framing (Content-Length, chunked, until close). What llhttp refuses under ClientRequest is refused here.
import * as http from 'node:http';
import { BitsError, Codes, ErrorContext } from '../errors';

/** Node's default limit on an answer's head (--max-http-header-size). */
export const MAX_HEAD_BYTES = 16 * 1024;
/** A chunk-size line longer than this is not a chunk size (extensions included). */
const MAX_CHUNK_LINE = 4096;

export function invalidResponse(detail: string): BitsError {
  return new BitsError(Codes.BG_E_INVALID_SERVER_RESPONSE, `The server sent an invalid HTTP answer: ${detail}.`, ErrorContext.REMOTE_FILE, {
    transient: true,
  });
}

/** The GET's head, as ClientRequest would send it: a header name or value with CR, LF or NUL throws its errors. */
export function requestHead(url: URL, headers: Record<string, string>): string {
  const path = `${url.pathname}${url.search}`;
  if (/[^\u0021-\u00ff]/.test(path)) {
    throw Object.assign(new TypeError('Request path contains unescaped characters'), { code: 'ERR_UNESCAPED_CHARACTERS' });
  }
  const lines = [`GET ${path} HTTP/1.1`];
  if (!Object.keys(headers).some((name) => name.toLowerCase() === 'host')) lines.push(`Host: ${url.host}`);
  for (const [name, value] of Object.entries(headers)) {
    http.validateHeaderName(name);
    http.validateHeaderValue(name, value);
    lines.push(`${name}: ${value}`);
  }
  lines.push('Connection: keep-alive', '', '');
  return lines.join('\r\n');
}

export interface ResponseHead {
  minor: 0 | 1;
  status: number;
  /** Lower-case names; repeated ones joined with ', ' (the first kept for those Node keeps once). */
  headers: Record<string, string | undefined>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: .*)?$/;

/** A control character other than HTAB: llhttp refuses them in a head. */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code < 32 && code !== 9) || code === 127) return true;
  }
  return false;
}
/** The fields IncomingMessage keeps once (the first), as sendGet's answers have them. */
const KEPT_ONCE = new Set([
  'age',
  'authorization',
  'content-type',
  'etag',
  'expires',
  'from',
  'host',
  'if-modified-since',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'referer',
  'retry-after',
  'server',
  'user-agent',
]);

/** Parses a head (without its blank line). */
export function parseHead(text: string): ResponseHead {
  const lines = text.split('\r\n');
  const match = STATUS_LINE.exec(lines[0]);
  if (!match || hasControl(lines[0])) throw invalidResponse(`bad status line "${lines[0].slice(0, 80)}"`);
  const headers: Record<string, string | undefined> = {};
  for (const line of lines.slice(1)) {
    if (line.startsWith(' ') || line.startsWith('\t')) throw invalidResponse('a folded header line (obs-fold)');
    const colon = line.indexOf(':');
    const name = line.slice(0, Math.max(colon, 0));
    if (!TOKEN.test(name)) throw invalidResponse(`bad header line "${line.slice(0, 80)}"`);
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (hasControl(value)) throw invalidResponse(`a control character in header ${name}`);
    const key = name.toLowerCase();
    const previous = headers[key];
    if (previous === undefined) headers[key] = value;
    else if (key === 'content-length') {
      if (previous !== value) throw invalidResponse(`conflicting Content-Length headers (${previous}, ${value})`);
    } else if (!KEPT_ONCE.has(key)) headers[key] = `${previous}, ${value}`;
  }
  return { minor: match[1] === '1' ? 1 : 0, status: Number(match[2]), headers };
}

/** Gathers an answer's head from slices; throws past MAX_HEAD_BYTES. */
export class HeadReader {
  private held: Buffer | undefined;

  /** The head's text and the bytes after it (valid as long as `slice`), or undefined while it is incomplete. */
  push(slice: Buffer): { text: string; rest: Buffer } | undefined {
    const all = this.held ? Buffer.concat([this.held, slice]) : slice;
    const end = all.subarray(0, MAX_HEAD_BYTES + 4).indexOf('\r\n\r\n');
    if (end < 0) {
      if (all.length > MAX_HEAD_BYTES) throw invalidResponse(`its head is longer than ${MAX_HEAD_BYTES} bytes`);
      this.held = Buffer.from(all); // the slice's buffer is reused
      return undefined;
    }
    this.held = undefined;
    return { text: all.subarray(0, end).toString('latin1'), rest: all.subarray(end + 4) };
  }
}

/** Cuts the body out of what follows the head. */
export interface BodyFraming {
  /** Hands the body's bytes in `slice` to `emit`; returns how many bytes of `slice` follow the body's end. */
  decode(slice: Buffer, emit: (piece: Buffer) => void): number;
  /** The body ended (a close-delimited one never does: it ends with the connection). */
  readonly done: boolean;
  readonly untilClose: boolean;
}

/** The framing of an answer to a GET (RFC 9112 section 6.3); conflicting framing is refused. */
export function framingFor(head: ResponseHead): BodyFraming {
  const { status, headers } = head;
  if (status === 204 || status === 304) return new LengthFraming(0);
  const te = headers['transfer-encoding'];
  const cl = headers['content-length'];
  if (te !== undefined) {
    if (cl !== undefined) throw invalidResponse('both Transfer-Encoding and Content-Length');
    const codings = te.split(',').map((c) => c.trim().toLowerCase());
    return codings[codings.length - 1] === 'chunked' ? new ChunkedFraming() : new CloseFraming();
  }
  if (cl !== undefined) {
    if (!/^\d{1,15}$/.test(cl)) throw invalidResponse(`bad Content-Length "${cl.slice(0, 40)}"`);
    return new LengthFraming(Number(cl));
  }
  return new CloseFraming();
}

/** Whether the connection may carry another request once this answer's body is read. */
export function keepsAlive(head: ResponseHead, framing: BodyFraming): boolean {
  const connection = (head.headers['connection'] ?? '').toLowerCase().split(',');
  return head.minor === 1 && !framing.untilClose && !connection.some((token) => token.trim() === 'close');
}

class LengthFraming implements BodyFraming {
  readonly untilClose = false;
  constructor(private left: number) {}
  get done(): boolean {
    return this.left === 0;
  }
  decode(slice: Buffer, emit: (piece: Buffer) => void): number {
    const take = Math.min(this.left, slice.length);
    if (take > 0) {
      this.left -= take;
      emit(take === slice.length ? slice : slice.subarray(0, take));
    }
    return slice.length - take;
  }
}

class CloseFraming implements BodyFraming {
  readonly untilClose = true;
  readonly done = false;
  decode(slice: Buffer, emit: (piece: Buffer) => void): number {
    if (slice.length > 0) emit(slice);
    return 0;
  }
}

const LF = 10;

/** Transfer-Encoding: chunked; chunk extensions and trailers are read and dropped. */
class ChunkedFraming implements BodyFraming {
  readonly untilClose = false;
  private state: 'size' | 'data' | 'data-end' | 'trailer' | 'done' = 'size';
  private line = '';
  private left = 0;
  private trailerBytes = 0;

  get done(): boolean {
    return this.state === 'done';
  }

  decode(slice: Buffer, emit: (piece: Buffer) => void): number {
    let at = 0;
    while (at < slice.length && this.state !== 'done') {
      if (this.state === 'data') {
        const take = Math.min(this.left, slice.length - at);
        emit(slice.subarray(at, at + take));
        at += take;
        this.left -= take;
        if (this.left === 0) this.state = 'data-end';
        continue;
      }
      const byte = slice[at++];
      if (byte !== LF) {
        this.line += String.fromCharCode(byte);
        if (this.line.length > MAX_CHUNK_LINE) throw invalidResponse('a chunk line too long');
        continue;
      }
      if (!this.line.endsWith('\r')) throw invalidResponse('a chunk line not ended by CRLF');
      const line = this.line.slice(0, -1);
      this.line = '';
      this.endOfLine(line);
    }
    return slice.length - at;
  }

  private endOfLine(line: string): void {
    if (this.state === 'data-end') {
      if (line !== '') throw invalidResponse('chunk data longer than its size');
      this.state = 'size';
    } else if (this.state === 'size') {
      const match = /^([0-9a-fA-F]{1,12})[ \t]*(;[^\r\n]*)?$/.exec(line);
      if (!match || hasControl(line)) throw invalidResponse(`bad chunk size "${line.slice(0, 40)}"`);
      this.left = parseInt(match[1], 16);
      this.state = this.left === 0 ? 'trailer' : 'data';
    } else if (this.state === 'trailer') {
      this.trailerBytes += line.length + 2;
      if (this.trailerBytes > MAX_HEAD_BYTES) throw invalidResponse(`its trailers are longer than ${MAX_HEAD_BYTES} bytes`);
      if (line === '') this.state = 'done';
      else if (hasControl(line)) throw invalidResponse('a control character in a trailer');
    }
  }
}
