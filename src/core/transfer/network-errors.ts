// Turns what Node and the file system throw into BitsErrors with BITS's codes and contexts.
import { BitsError, Codes, ErrorContext } from '../errors';

/** A BitsError anywhere in the cause chain (a wrapper may carry the error a connection provider failed with as its cause). */
export function findBitsError(err: unknown): BitsError | undefined {
  let current: unknown = err;
  for (let depth = 0; current && depth < 8; depth++) {
    if (current instanceof BitsError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function errnoCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; current && depth < 8; depth++) {
    const code = (current as { code?: unknown }).code;
    if (
      typeof code === 'string' &&
      /^(E[A-Z]+|ERR_[A-Z_]+|[A-Z_]+CERT[A-Z_]*|CERT_[A-Z_]+|UNABLE_[A-Z_]+|DEPTH_[A-Z_]+|SELF_[A-Z_]+)$/.test(code) &&
      !code.startsWith('ERR_BAD_')
    ) {
      return code;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

const connectCodes = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL', 'ENETDOWN']);
const closedCodes = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE', 'ERR_HTTP_REQUEST_TIMEOUT']);

/** Node's own certificate-verification codes (phase 1 without the gated provider), as WinHTTP-style codes. */
const certCodes: Record<string, number> = {
  CERT_HAS_EXPIRED: Codes.ERROR_WINHTTP_SECURE_CERT_DATE_INVALID,
  CERT_NOT_YET_VALID: Codes.ERROR_WINHTTP_SECURE_CERT_DATE_INVALID,
  ERR_TLS_CERT_ALTNAME_INVALID: Codes.ERROR_WINHTTP_SECURE_CERT_CN_INVALID,
  DEPTH_ZERO_SELF_SIGNED_CERT: Codes.ERROR_WINHTTP_SECURE_INVALID_CA,
  SELF_SIGNED_CERT_IN_CHAIN: Codes.ERROR_WINHTTP_SECURE_INVALID_CA,
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: Codes.ERROR_WINHTTP_SECURE_INVALID_CA,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: Codes.ERROR_WINHTTP_SECURE_INVALID_CA,
  UNABLE_TO_GET_ISSUER_CERT: Codes.ERROR_WINHTTP_SECURE_INVALID_CA,
  CERT_REVOKED: Codes.ERROR_WINHTTP_SECURE_CERT_REVOKED,
  INVALID_PURPOSE: Codes.ERROR_WINHTTP_SECURE_CERT_WRONG_USAGE,
};

/** A failure while talking to the server (connect, TLS, reading the body). */
export function networkError(err: unknown, where: string): BitsError {
  const bits = findBitsError(err);
  if (bits) return bits;
  const code = errnoCode(err);
  const detail = (err as Error)?.message ?? String(err);
  if (code && certCodes[code] !== undefined) {
    return new BitsError(
      certCodes[code],
      `The server certificate of ${where} was rejected: ${detail} (${code}).`,
      ErrorContext.GENERAL_TRANSPORT,
      {
        cause: err,
        transient: false,
      },
    );
  }
  if (code && connectCodes.has(code)) {
    return new BitsError(
      Codes.BG_E_CONNECT_FAILURE,
      `Could not connect to ${where}: ${detail} (${code}).`,
      ErrorContext.GENERAL_TRANSPORT,
      {
        cause: err,
        transient: true,
      },
    );
  }
  if ((code && closedCodes.has(code)) || /aborted|socket hang up|premature/i.test(detail)) {
    return new BitsError(
      Codes.BG_E_CONNECTION_CLOSED,
      `The connection to ${where} was closed early: ${detail}.`,
      ErrorContext.GENERAL_TRANSPORT,
      {
        cause: err,
        transient: true,
      },
    );
  }
  return new BitsError(
    Codes.BG_E_CONNECTION_CLOSED,
    `The transfer from ${where} failed: ${detail}${code ? ` (${code})` : ''}.`,
    ErrorContext.GENERAL_TRANSPORT,
    {
      cause: err,
      transient: true,
    },
  );
}

/** A failure reading or writing the temp file: disk full and permission denied are BITS's LOCAL_FILE errors. */
export function localFileError(err: unknown, file: string): BitsError {
  const bits = findBitsError(err);
  if (bits) return bits;
  const code = errnoCode(err);
  const detail = (err as Error)?.message ?? String(err);
  const make = (hr: number, message: string) => new BitsError(hr, message, ErrorContext.LOCAL_FILE, { cause: err, transient: false });
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return make(Codes.E_DISK_FULL, `The disk is full while writing ${file}. Free some space, then resume the job.`);
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return make(
        Codes.E_ACCESSDENIED,
        `Permission denied writing ${file}. Choose a folder you can write to, or fix its permissions, then resume the job.`,
      );
    case 'ENOENT':
      return make(Codes.E_FILE_NOT_FOUND, `The folder for ${file} does not exist and could not be created (${detail}).`);
    case 'ENOTDIR':
    case 'EEXIST':
      return make(
        Codes.E_FILE_EXISTS,
        `A file is in the way of the folder for ${file} (${detail}). Choose another destination or move that file.`,
      );
    case 'EISDIR':
      return make(Codes.E_INVALIDARG, `${file} is a folder; a download needs a file path.`);
    default:
      return make(Codes.E_FAIL, `Could not write ${file}: ${detail}${code ? ` (${code})` : ''}.`);
  }
}
