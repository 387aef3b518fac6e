// Reading a server's answer to a (range) GET, as a pure function: continue at the offset, restart from zero,
// ask again without a range, or fail. Never a body whose bytes would land at the wrong place.
import { BitsError, Codes, ErrorContext, httpStatusError } from '../errors';
import { parseRetryAfter } from '../model/retry';

export interface Asked extends Validators {
  /** Bytes already in the temp file; a Range from here was sent when > 0. */
  offset: number;
  /** Size known from an earlier response, null when unknown. */
  knownTotal: number | null;
}

/** What identifies the version of the remote file the bytes in the temp file came from. */
export interface Validators {
  etag?: string;
  lastModified?: string;
  /** The Last-Modified may go in If-Range (see isStrongLastModified). */
  lastModifiedStrong?: boolean;
}

export function isStrongEtag(etag: string | undefined): etag is string {
  return etag !== undefined && !etag.startsWith('W/');
}

/**
 * RFC 9110 8.8.2.2: a Last-Modified date is a strong validator for a client only when the Date of the answer
 * that carried it is at least one second later (a file changed within the same second keeps its date).
 */
export function isStrongLastModified(lastModified: string | undefined, date: string | undefined): boolean {
  const modified = Date.parse(lastModified ?? '');
  const sent = Date.parse(date ?? '');
  return Number.isFinite(modified) && Number.isFinite(sent) && sent - modified >= 1000;
}

/**
 * The Last-Modified vouches for bytes: a strong date (RFC 9110 8.8.2.2). A weak one (the file changed in the second
 * it was served) may stay the same through another same-second, same-size change, so it vouches for nothing:
 * not in If-Range, not for a resume, not for a split, not on a 206's comparison.
 */
export function dateVouches(v: Validators): boolean {
  return v.lastModified !== undefined && v.lastModifiedStrong === true;
}

/**
 * The If-Range for a resume (RFC 9110 13.1.5): a strong ETag; a Last-Modified date only when there is no ETag at
 * all and the date is strong; otherwise none (the answer's validators are still compared: sameVersion).
 */
export function ifRangeFor(v: Validators): string | undefined {
  if (isStrongEtag(v.etag)) return v.etag;
  if (v.etag === undefined && dateVouches(v)) return v.lastModified;
  return undefined;
}

/**
 * Bytes fetched under these validators can be continued with a Range: a strong ETag or a strong Last-Modified
 * vouches for them (dateVouches); otherwise the file starts again from byte 0.
 */
export function canContinue(v: Validators): boolean {
  return isStrongEtag(v.etag) || dateVouches(v);
}

/**
 * Why a 206's validators do not show the version the stored bytes came from, or undefined when they do
 * (BITS: BG_E_REMOTE_FILE_CHANGED). A validator present on both sides must be equal, and at least one that
 * vouches for bytes (a strong ETag, or a strong Last-Modified) must be present on both: a server that ignores If-Range
 * answers a changed file with a 206 of the new version, and only this comparison tells.
 */
export function versionMismatch(stored: Validators, headers: Record<string, string | undefined>): string | undefined {
  const etag = headers['etag'];
  const lastModified = headers['last-modified'];
  const differ = validatorsDiffer(stored, headers);
  if (differ) return differ;
  if (stored.etag !== undefined && etag === undefined) return `the answer carries no ETag, and the bytes so far came with ${stored.etag}`;
  const etagVouches = isStrongEtag(stored.etag) && etag === stored.etag;
  const sameDate = dateVouches(stored) && lastModified === stored.lastModified;
  if (!etagVouches && !sameDate) return 'no strong ETag or Last-Modified shows it is the version of the bytes so far';
  return undefined;
}

/** Why the answer is another version than the stored one, judged only by the validators both sides have. */
export function validatorsDiffer(stored: Validators, headers: Record<string, string | undefined>): string | undefined {
  const etag = headers['etag'];
  const lastModified = headers['last-modified'];
  if (stored.etag !== undefined && etag !== undefined && etag !== stored.etag) return `the ETag changed from ${stored.etag} to ${etag}`;
  if (stored.lastModified !== undefined && lastModified !== undefined && lastModified !== stored.lastModified) {
    return `Last-Modified changed from ${stored.lastModified} to ${lastModified}`;
  }
  return undefined;
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

/** `now` (epoch ms) reads a Retry-After given as a date. */
export function planResponse(
  status: number,
  headers: Record<string, string | undefined>,
  asked: Asked,
  where: string,
  now = Date.now(),
): ResponsePlan {
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
    // A 206 to a request without a range (offset 0) starts a version; one that continues bytes must be theirs.
    const changed = asked.offset > 0 ? versionMismatch(asked, headers) : undefined;
    if (changed) return { kind: 'refetch', reason: `the remote file changed (${changed})` };
    const length = parseContentLength(headers['content-length']);
    if (length !== null && length !== range.last - range.first + 1) {
      return { kind: 'refetch', reason: `Content-Length ${length} disagrees with Content-Range ${headers['content-range']}` };
    }
    return {
      kind: 'body',
      start: range.first,
      end: range.last + 1,
      total: range.total ?? asked.knownTotal,
      restarted: false,
      etag,
      lastModified,
    };
  }
  if (status >= 200 && status < 300) {
    const length = status === 204 ? 0 : parseContentLength(headers['content-length']);
    // A whole-file answer that calls itself a part: which bytes its body holds is anyone's guess.
    if (headers['content-range'] !== undefined) {
      const range = parseContentRange(headers['content-range']);
      if (
        !range ||
        range.first !== 0 ||
        (length !== null && range.last + 1 !== length) ||
        (range.total !== null && range.total !== range.last + 1)
      ) {
        return { kind: 'refetch', reason: `HTTP ${status} with Content-Range "${headers['content-range']}", which is not the whole file` };
      }
    }
    return { kind: 'body', start: 0, end: length, total: length, restarted: asked.offset > 0, etag, lastModified };
  }
  if (status === 416 && asked.offset > 0) {
    const size = parseUnsatisfiedRange(headers['content-range']);
    if (size === asked.offset && (asked.knownTotal === null || asked.knownTotal === size)) return { kind: 'complete', total: size };
    return { kind: 'refetch', reason: `the server cannot serve bytes from ${asked.offset} (HTTP 416)` };
  }
  // The wait a server asks for (Retry-After) goes with its error, whatever the status.
  const retryAfterSeconds = parseRetryAfter(headers['retry-after'], now);
  if (status >= 400 && status < 600) {
    return {
      kind: 'error',
      error: httpStatusError(status, `${where} answered HTTP ${status}.`, ErrorContext.REMOTE_FILE, retryAfterSeconds),
    };
  }
  return {
    kind: 'error',
    error: new BitsError(
      Codes.BG_E_INVALID_SERVER_RESPONSE,
      `${where} answered HTTP ${status}, which is not a download.`,
      ErrorContext.REMOTE_FILE,
      { transient: true, retryAfterSeconds },
    ),
  };
}
