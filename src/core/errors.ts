// One error type for the whole product: a stable HRESULT-style code (BITS's own where BITS has one),
// the BITS error context it belongs to, and a message a person can act on. Messages live here, in one place.

/** BG_ERROR_CONTEXT: where an error happened (BITS values). */
export enum ErrorContext {
  NONE = 0,
  UNKNOWN = 1,
  GENERAL_QUEUE_MANAGER = 2,
  QUEUE_MANAGER_NOTIFICATION = 3,
  LOCAL_FILE = 4,
  REMOTE_FILE = 5,
  GENERAL_TRANSPORT = 6,
  REMOTE_APPLICATION = 7,
  SERVER_CERTIFICATE_CALLBACK = 8,
}

/** HRESULTs as unsigned 32-bit numbers. BITS codes from bitsmsg.h; our own in facility 0x0A0 (0x80A0xxxx). */
export const Codes = {
  S_OK: 0,
  E_FAIL: 0x80004005,
  /** The operation was given up by its caller. */
  E_ABORT: 0x80004004,
  E_INVALIDARG: 0x80070057,
  E_ACCESSDENIED: 0x80070005,
  /** ERROR_DISK_FULL as an HRESULT. */
  E_DISK_FULL: 0x80070070,
  E_FILE_NOT_FOUND: 0x80070002,
  E_FILE_EXISTS: 0x80070050,
  BG_E_NOT_FOUND: 0x80200001,
  BG_E_INVALID_STATE: 0x80200002,
  BG_E_EMPTY: 0x80200003,
  BG_E_PROTOCOL_NOT_AVAILABLE: 0x80200005,
  BG_E_MISSING_FILE_SIZE: 0x80200011,
  BG_E_INSUFFICIENT_RANGE_SUPPORT: 0x80200013,
  BG_S_PARTIAL_COMPLETE: 0x00200017,
  BG_S_UNABLE_TO_DELETE_FILES: 0x0020001a,
  BG_E_INVALID_SERVER_RESPONSE: 0x8020001b,
  BG_E_TOO_MANY_FILES: 0x8020001c,
  BG_E_LOCAL_FILE_CHANGED: 0x8020001d,
  BG_E_STRING_TOO_LONG: 0x80200021,
  BG_E_NO_PROGRESS: 0x80200024,
  BG_E_FILE_NOT_FOUND: 0x80200029,
  BG_E_CONNECT_FAILURE: 0x8020002d,
  BG_E_CONNECTION_CLOSED: 0x8020002e,
  BG_E_INVALID_PROXY_INFO: 0x8020003f,
  BG_E_DATABASE_CORRUPT: 0x8020006c,
  BG_E_REMOTE_FILE_CHANGED: 0x80200073,
  BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED: 0x80200074,
  BG_E_READ_ONLY_WHEN_JOB_ACTIVE: 0x80200075,
  /** WinHTTP-style TLS failures, used for phase-1 (platform) certificate errors. */
  ERROR_WINHTTP_SECURE_FAILURE: 0x80072f8f,
  ERROR_WINHTTP_SECURE_CERT_DATE_INVALID: 0x80072f05,
  ERROR_WINHTTP_SECURE_CERT_CN_INVALID: 0x80072f06,
  ERROR_WINHTTP_SECURE_INVALID_CA: 0x80072f0d,
  // WinHTTP's numbers (winhttp.h): REV_FAILED 12057, REVOKED 12170, WRONG_USAGE 12179 (were 12036, 12044 and
  // 12055 here before, and 12044 is CLIENT_AUTH_CERT_NEEDED).
  ERROR_WINHTTP_SECURE_CERT_REV_FAILED: 0x80072f19,
  ERROR_WINHTTP_SECURE_CERT_REVOKED: 0x80072f8a,
  ERROR_WINHTTP_SECURE_CERT_WRONG_USAGE: 0x80072f93,
  /** A certificate OpenSSL refuses and no flag can relax: weak signature or key, a violated constraint, malformed. */
  ERROR_WINHTTP_SECURE_INVALID_CERT: 0x80072f89,
  /** The TLS handshake itself failed: no shared protocol version or cipher, a key exchange too weak. */
  ERROR_WINHTTP_SECURE_CHANNEL_ERROR: 0x80072f7d,
  ERROR_WINHTTP_CLIENT_AUTH_CERT_NEEDED: 0x80072f0c,
  ERROR_WINHTTP_TIMEOUT: 0x80072ee2,
  ERROR_WINHTTP_REDIRECT_FAILED: 0x80072f7c,
  /** The client certificate has no usable private key (none given, or one that does not match). */
  ERROR_WINHTTP_CLIENT_CERT_NO_PRIVATE_KEY: 0x80072f99,
  /** HRESULT_FROM_WIN32(ERROR_INVALID_PASSWORD): a wrong or missing passphrase of a client certificate. */
  E_INVALID_PASSWORD: 0x80070056,
  /** The certificate was not found (BITS SetClientCertificateByID returns it for an unknown thumbprint). */
  CRYPT_E_NOT_FOUND: 0x80092004,
  /** Our own: a downloaded file's sha256 differs from the one the job asked for. */
  MD_E_HASH_MISMATCH: 0x80a00001,
  /** Our own: the job store could not be read and was set aside. */
  MD_E_STORE_UNREADABLE: 0x80a00002,
  /** Our own: the redirect policy forbade a redirect. */
  MD_E_REDIRECT_DISALLOWED: 0x80a00003,
  /** Our own: an https URL redirected to http without the job allowing it. */
  MD_E_REDIRECT_HTTPS_TO_HTTP: 0x80a00004,
  /** Our own: too many redirects in a row. */
  MD_E_TOO_MANY_REDIRECTS: 0x80a00005,
  /** Our own: a store written by a newer version of the product. */
  MD_E_STORE_TOO_NEW: 0x80a00006,
  /** Our own: another process holds the store's lease and did not answer a forwarded command in time. */
  MD_E_STORE_IN_USE: 0x80a00007,
  /** ERROR_FILENAME_EXCED_RANGE as an HRESULT: a name or path longer than the file system holds. */
  E_FILENAME_TOO_LONG: 0x800700ce,
  /** ERROR_INVALID_NAME as an HRESULT: a name the file system cannot hold (a device name, a forbidden character). */
  E_INVALID_NAME: 0x8007007b,
  /** ERROR_SHARING_VIOLATION as an HRESULT: another live job already downloads to this path. */
  E_SHARING_VIOLATION: 0x80070020,
  /** ERROR_TIMEOUT as an HRESULT: a service (VS Code's secret storage) did not answer within its time limit. */
  ERROR_TIMEOUT: 0x800705b4,
} as const;

/** HTTP status N maps to 0x80190000 + N (BG_E_HTTP_ERROR_N). */
export function httpStatusCode(status: number): number {
  return (0x80190000 + status) >>> 0;
}

/** The HTTP status a code stands for (BG_E_HTTP_ERROR_100 to _599), undefined for any other code. */
export function httpStatusOf(code: number): number | undefined {
  const c = code >>> 0;
  return c >= 0x80190064 && c <= 0x80190257 ? c - 0x80190000 : undefined;
}

/**
 * The one list of HTTP answers worth asking again: a server error (5xx, and anything above, which a proxy's
 * status line may hold), a request timeout (408), too many requests (429). Every other status needs a person.
 */
export function isTransientStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/** `0x80190194` style, the way BITS and Windows print HRESULTs. */
export function formatCode(code: number): string {
  return '0x' + (code >>> 0).toString(16).padStart(8, '0');
}

const codeNames = new Map<number, string>(Object.entries(Codes).map(([name, value]) => [value >>> 0, name]));

/** The symbolic name of a code (`BG_E_EMPTY`, `BG_E_HTTP_ERROR_404`), or its hex form when unknown. */
export function codeName(code: number): string {
  const c = code >>> 0;
  const known = codeNames.get(c);
  if (known) return known;
  const status = httpStatusOf(c);
  if (status !== undefined) return `BG_E_HTTP_ERROR_${status}`;
  return formatCode(c);
}

/** What a person should read for a code when no more specific description is known. */
const defaultMessages: Partial<Record<number, string>> = {
  [Codes.BG_E_NOT_FOUND]: 'The requested job was not found.',
  [Codes.BG_E_INVALID_STATE]: 'The requested action is not allowed in the current job state.',
  [Codes.BG_E_EMPTY]: 'There are no files attached to this job. Add files to the job, and then try again.',
  [Codes.BG_E_PROTOCOL_NOT_AVAILABLE]: 'Only http and https URLs can be downloaded.',
  [Codes.BG_E_INSUFFICIENT_RANGE_SUPPORT]: 'The server does not support the Range header needed to resume.',
  [Codes.BG_E_INVALID_SERVER_RESPONSE]: "The server's response was not valid. Resume the job to try again.",
  [Codes.BG_E_NO_PROGRESS]: 'The job made no progress within its no-progress timeout.',
  [Codes.BG_E_REMOTE_FILE_CHANGED]: 'The remote file changed during the transfer; the file restarts from the beginning.',
  [Codes.BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED]:
    'The job needs a certificate validator, but none is loaded. Set or fix the validator (setting managedDownloads.certificateValidator), then resume the job.',
  [Codes.BG_E_READ_ONLY_WHEN_JOB_ACTIVE]: 'This can only be changed while the job is suspended.',
  [Codes.BG_E_CONNECT_FAILURE]: 'A connection could not be established.',
  [Codes.BG_E_CONNECTION_CLOSED]: 'The connection was closed prematurely.',
  [Codes.MD_E_HASH_MISMATCH]: "The downloaded file's sha256 does not match the expected one.",
  [Codes.MD_E_STORE_UNREADABLE]: 'The job store could not be read; it was set aside and a new one started.',
};

export function defaultMessage(code: number): string {
  const c = code >>> 0;
  const known = defaultMessages[c];
  if (known) return known;
  const status = httpStatusOf(c);
  if (status !== undefined) return `The server answered HTTP ${status}.`;
  return `Error ${codeName(c)}.`;
}

/**
 * The product's one error type. `code` is stable (an HRESULT); `context` says where it happened.
 * Thrown by the core's verbs for bad input and invalid states, and recorded on jobs as their error.
 */
export class BitsError extends Error {
  override name = 'BitsError';
  constructor(
    readonly code: number,
    message: string = defaultMessage(code),
    readonly context: ErrorContext = ErrorContext.GENERAL_QUEUE_MANAGER,
    options?: { cause?: unknown; transient?: boolean; retryAfterSeconds?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code >>> 0;
    this.transient = options?.transient;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }

  /**
   * When the error happens during a transfer: true puts the job in TRANSIENT_ERROR (retried), false in ERROR.
   * Undefined lets the engine decide from the code (network and 5xx/408/429 are transient). retryOf (retry.ts)
   * is the one place that reads it.
   */
  readonly transient?: boolean;

  /** The wait the server asked for with this error (its Retry-After), when it asked. */
  readonly retryAfterSeconds?: number;

  /** `BG_E_EMPTY (0x80200003): There are no files...` */
  override toString(): string {
    return formatError(this, 'line');
  }
}

/**
 * How an error reads. The code's name is what a person searches for; the hex HRESULT is what BITS and Windows print.
 * - 'line': `BG_E_EMPTY (0x80200003): There are no files...`: a line of its own (the CLI, BitsError.toString).
 * - 'message': `There are no files... (BG_E_EMPTY)`: the words first, in a message VS Code shows.
 * - 'log': `There are no files... (BG_E_EMPTY) [0x80200003]`: the message, with the hex for whoever reads the log.
 */
export type ErrorForm = 'line' | 'message' | 'log';

/**
 * The one formatter of errors: every place that shows an error's code and message goes through it. An error
 * that is not a BitsError has no code: it reads as its message (anything else as its string).
 */
export function formatError(err: unknown, form: ErrorForm): string {
  if (!(err instanceof BitsError)) return err instanceof Error ? err.message : String(err);
  const name = codeName(err.code);
  switch (form) {
    case 'line':
      return `${name} (${formatCode(err.code)}): ${err.message}`;
    case 'message':
      return `${err.message} (${name})`;
    case 'log':
      return `${err.message} (${name}) [${formatCode(err.code)}]`;
  }
}

/** A server's answer of HTTP `status` as an error, transient as isTransientStatus says. */
export function httpStatusError(status: number, message: string, context: ErrorContext, retryAfterSeconds?: number): BitsError {
  return new BitsError(httpStatusCode(status), message, context, { transient: isTransientStatus(status), retryAfterSeconds });
}

export function isBitsError(e: unknown): e is BitsError {
  return e instanceof BitsError;
}

/** What to tell a person to do when a file-system operation fails, by kind of failure. */
export interface FileSystemAdvice {
  /** Permission denied or a read-only file system. */
  denied: string;
  /** No space left (or over quota). */
  full: string;
  /** Anything else (a file in the way of a folder, a missing folder, an I/O error). */
  other: string;
}

/**
 * A file-system failure (an errno error from node:fs) as a BitsError with the Windows code a person can look up
 * (E_ACCESSDENIED, E_DISK_FULL, ...), what was being done, why it failed in plain words, and what to do.
 * A BitsError passes through unchanged.
 */
export function fileSystemError(err: unknown, doing: string, context: ErrorContext, advice: FileSystemAdvice): BitsError {
  if (err instanceof BitsError) return err;
  const errno = (err as NodeJS.ErrnoException | undefined)?.code;
  const make = (code: number, reason: string, todo: string) =>
    new BitsError(code, `${doing} failed: ${reason}${errno ? ` (${errno})` : ''}. ${todo}`, context, { cause: err, transient: false });
  switch (errno) {
    case 'ENOSPC':
    case 'EDQUOT':
      return make(Codes.E_DISK_FULL, 'the disk is full', advice.full);
    case 'EROFS':
      return make(Codes.E_ACCESSDENIED, 'the file system is read-only', advice.denied);
    case 'EACCES':
    case 'EPERM':
      return make(Codes.E_ACCESSDENIED, 'permission denied', advice.denied);
    case 'ENOTDIR':
    case 'EEXIST':
      return make(Codes.E_FILE_EXISTS, 'a file is in the way where a folder is needed', advice.other);
    case 'ENOENT':
      return make(Codes.E_FILE_NOT_FOUND, 'a folder on the way does not exist', advice.other);
    default:
      return make(Codes.E_FAIL, (err as Error | undefined)?.message ?? String(err), advice.other);
  }
}
