// Reading a server's answer to a (range) GET, as a pure function: continue at the offset, restart from zero,
// ask again without a range, or fail. Never a body whose bytes would land at the wrong place.
import { BitsError, Codes, ErrorContext, httpStatusCode } from '../errors';
import { isTransientCode } from '../jobs/retry';

export interface Asked {
  /** Bytes already in the temp file; a Range from here was sent when > 0. */
  offset: number;
  /** Size known from an earlier response, null when unknown. */
  knownTotal: number | null;
  knownEtag?: string;
}

export type ResponsePlan =
  /** Write the body at `start` (0 on a restart); `total` null when the size is unknown. `end`: last byte + 1, when declared. */
  | { kind: 'body'; start: number; end: number | null; total: number | null; restarted: boolean; etag?: string; lastModified?: string }
  /** Everything is already on disk (416 naming exactly our size). */
  | { kind: 'complete'; total: number }
  /** The range answer cannot be trusted (wrong Content-Range, changed entity): truncate and ask for the whole file. */
  | { kind: 'refetch'; reason: string }
  | { kind: 'error'; error: BitsError };

export function parseContentLength(value: string | undefined): number | null {
  if (value === undefined || !/^\d+$/.test(value.trim())) return null;
  const n = Number(value.trim());
  return Number.isSafeInteger(n) ? n : null;
}

/** `bytes 100-199/1000` or `bytes 100-199/*`; undefined when malformed. */
export function parseContentRange(value: string | undefined): { first: number; last: number; total: number | null } | undefined {
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec((value ?? '').trim());
  if (!m) return undefined;
  const first = Number(m[1]);
  const last = Number(m[2]);
  const total = m[3] === '*' ? null : Number(m[3]);
  if (last < first || (total !== null && last >= total)) return undefined;
  return { first, last, total };
}

/** `bytes * /1000` of a 416. */
function parseUnsatisfiedRange(value: string | undefined): number | undefined {
  const m = /^bytes \*\/(\d+)$/.exec((value ?? '').trim());
  return m ? Number(m[1]) : undefined;
}

export function planResponse(status: number, headers: Record<string, string | undefined>, asked: Asked, where: string): ResponsePlan {
  const etag = headers['etag'];
  const lastModified = headers['last-modified'];
  if (status === 206) {
    const range = parseContentRange(headers['content-range']);
    if (!range) return { kind: 'refetch', reason: `malformed Content-Range "${headers['content-range'] ?? ''}"` };
    if (range.first !== asked.offset) {
      return { kind: 'refetch', reason: `Content-Range starts at ${range.first}, but ${asked.offset} was asked` };
    }
    if (range.total !== null && asked.knownTotal !== null && range.total !== asked.knownTotal) {
      return { kind: 'refetch', reason: `the size changed from ${asked.knownTotal} to ${range.total} bytes` };
    }
    if (etag && asked.knownEtag && etag !== asked.knownEtag) {
      return { kind: 'refetch', reason: `the ETag changed from ${asked.knownEtag} to ${etag}` };
    }
    const length = parseContentLength(headers['content-length']);
    if (length !== null && length !== range.last - range.first + 1) {
      return { kind: 'refetch', reason: `Content-Length ${length} disagrees with Content-Range ${headers['content-range']}` };
    }
    return { kind: 'body', start: range.first, end: range.last + 1, total: range.total ?? asked.knownTotal, restarted: false, etag, lastModified };
  }
  if (status >= 200 && status < 300) {
    const length = status === 204 ? 0 : parseContentLength(headers['content-length']);
    return { kind: 'body', start: 0, end: length, total: length, restarted: asked.offset > 0, etag, lastModified };
  }
  if (status === 416 && asked.offset > 0) {
    const size = parseUnsatisfiedRange(headers['content-range']);
    if (size === asked.offset && (asked.knownTotal === null || asked.knownTotal === size)) return { kind: 'complete', total: size };
    return { kind: 'refetch', reason: `the server cannot serve bytes from ${asked.offset} (HTTP 416)` };
  }
  if (status >= 400 && status < 600) {
    const code = httpStatusCode(status);
    return {
      kind: 'error',
      error: new BitsError(code, `${where} answered HTTP ${status}.`, ErrorContext.REMOTE_FILE, { transient: isTransientCode(code) }),
    };
  }
  return {
    kind: 'error',
    error: new BitsError(Codes.BG_E_INVALID_SERVER_RESPONSE, `${where} answered HTTP ${status}, which is not a download.`, ErrorContext.REMOTE_FILE, {
      transient: true,
    }),
  };
}
