// Input checks for the verbs: every refusal is a BitsError with a stable code and a message that says what to fix.
import * as path from 'node:path';
import { BitsError, Codes, ErrorContext } from '../errors';
import { JobPriority, SecurityFlags, type FileChecksumChange, type JobPropertiesPatch, type JobRecord, type ValidatorSource } from './job';

const general = ErrorContext.GENERAL_QUEUE_MANAGER;

/** E_INVALIDARG for a verb's argument, with what to fix. */
export function invalid(message: string): BitsError {
  return new BitsError(Codes.E_INVALIDARG, message, general);
}

export function checkPriority(priority: unknown): JobPriority {
  if (typeof priority === 'number' && JobPriority[priority] !== undefined) return priority as JobPriority;
  throw invalid(`Unknown priority ${String(priority)}: use FOREGROUND (0), HIGH (1), NORMAL (2) or LOW (3).`);
}

function checkSeconds(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw invalid(`${name} must be a number of seconds, 0 or more (got ${String(value)}).`);
  }
  return value;
}

const knownFlagBits =
  SecurityFlags.ENABLE_CRL_CHECK |
  SecurityFlags.IGNORE_CERT_CN_INVALID |
  SecurityFlags.IGNORE_CERT_DATE_INVALID |
  SecurityFlags.IGNORE_UNKNOWN_CA |
  SecurityFlags.IGNORE_CERT_WRONG_USAGE |
  SecurityFlags.REDIRECT_POLICY_MASK |
  SecurityFlags.ALLOW_HTTPS_TO_HTTP_REDIRECT;

export function checkSecurityFlags(flags: unknown): number {
  if (typeof flags !== 'number' || !Number.isInteger(flags) || flags < 0 || (flags & ~knownFlagBits) !== 0) {
    throw invalid(`Unknown security flags ${String(flags)}: only the BITS bits 0x1-0x10, 0x100-0x400 and 0x800 exist.`);
  }
  const policy = flags & SecurityFlags.REDIRECT_POLICY_MASK;
  if (
    policy !== SecurityFlags.REDIRECT_POLICY_ALLOW_SILENT &&
    policy !== SecurityFlags.REDIRECT_POLICY_ALLOW_REPORT &&
    policy !== SecurityFlags.REDIRECT_POLICY_DISALLOW
  ) {
    throw invalid(`Unknown redirect policy 0x${policy.toString(16)}: use 0x0 (allow), 0x100 (allow and report) or 0x200 (disallow).`);
  }
  return flags;
}

/** BITS: total custom headers at most 16,384 characters. */
const maxHeadersLength = 16_384;
const tokenChars = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Headers the engine itself owns: a caller setting them would break resume or framing. */
const reservedHeaders = new Set(['range', 'if-range', 'host', 'content-length', 'transfer-encoding', 'connection', 'accept-encoding']);

export function checkHeaders(headers: unknown): Record<string, string> {
  if (headers === undefined) return {};
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
    throw invalid('Custom headers must be an object of header names to string values.');
  }
  let length = 0;
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!tokenChars.test(name)) throw invalid(`"${name}" is not a valid HTTP header name.`);
    if (reservedHeaders.has(name.toLowerCase())) {
      throw invalid(`The header ${name} is managed by the download engine (resume, framing) and cannot be set.`);
    }
    if (typeof value !== 'string' || /[\r\n\0]/.test(value)) {
      throw invalid(`The value of header ${name} must be a string without line breaks.`);
    }
    length += name.length + 2 + value.length + 2;
    result[name] = value;
  }
  if (length > maxHeadersLength) {
    throw new BitsError(
      Codes.BG_E_STRING_TOO_LONG,
      `Custom headers total ${length} characters; BITS allows at most ${maxHeadersLength}.`,
      general,
    );
  }
  return result;
}

/** Names only (the values of write-only headers never pass through the job). */
export function checkHeaderNames(names: unknown): string[] {
  if (!Array.isArray(names) || names.some((n) => typeof n !== 'string' || !tokenChars.test(n))) {
    throw invalid('Write-only header names must be a list of valid HTTP header names.');
  }
  for (const name of names as string[]) {
    if (reservedHeaders.has(name.toLowerCase()))
      throw invalid(`The header ${name} is managed by the download engine (resume, framing) and cannot be set.`);
  }
  return [...new Set(names as string[])];
}

export function checkText(name: string, value: unknown, max: number): string {
  if (typeof value !== 'string') throw invalid(`${name} must be a string.`);
  if (value.length > max)
    throw new BitsError(Codes.BG_E_STRING_TOO_LONG, `${name} is ${value.length} characters long; at most ${max} are allowed.`, general);
  return value;
}

export function checkPatch(patch: JobPropertiesPatch): JobPropertiesPatch {
  const out: JobPropertiesPatch = {};
  if (patch.displayName !== undefined) out.displayName = checkText('The display name', patch.displayName, 256);
  if (patch.description !== undefined) out.description = checkText('The description', patch.description, 1024);
  if (patch.minimumRetryDelay !== undefined) out.minimumRetryDelay = checkSeconds('The minimum retry delay', patch.minimumRetryDelay);
  if (patch.noProgressTimeout !== undefined) out.noProgressTimeout = checkSeconds('The no-progress timeout', patch.noProgressTimeout);
  if (patch.securityFlags !== undefined) out.securityFlags = checkSecurityFlags(patch.securityFlags);
  if (patch.customHeaders !== undefined) out.customHeaders = checkHeaders(patch.customHeaders);
  if (patch.autoComplete !== undefined) out.autoComplete = Boolean(patch.autoComplete);
  if (patch.writeOnlyHeaderNames !== undefined) out.writeOnlyHeaderNames = checkHeaderNames(patch.writeOnlyHeaderNames);
  if (patch.fileSha256 !== undefined) out.fileSha256 = checkFileChecksums(patch.fileSha256);
  return out;
}

/** sha256 digest syntax: 64 hex characters, returned lower-case. */
export function checkSha256(value: unknown): string {
  if (typeof value !== 'string' || !/^[0-9a-fA-F]{64}$/.test(value)) {
    throw invalid(`"${String(value).slice(0, 80)}" is not a sha256 digest (64 hexadecimal characters).`);
  }
  return value.toLowerCase();
}

/** The form of each change (a file index, a digest or null); the engine checks the indexes against the job. */
function checkFileChecksums(changes: unknown): FileChecksumChange[] {
  if (!Array.isArray(changes)) throw invalid('fileSha256 must be a list of { fileIndex, sha256 } (sha256 null removes the check).');
  const seen = new Set<number>();
  return changes.map((change: unknown) => {
    const c = (change ?? {}) as Partial<FileChecksumChange>;
    if (typeof c.fileIndex !== 'number' || !Number.isInteger(c.fileIndex) || c.fileIndex < 0)
      throw invalid(`fileSha256: ${String(c.fileIndex)} is not a file index.`);
    if (seen.has(c.fileIndex)) throw invalid(`fileSha256 names file ${c.fileIndex} twice.`);
    seen.add(c.fileIndex);
    return { fileIndex: c.fileIndex, sha256: c.sha256 === null ? null : checkSha256(c.sha256) };
  });
}

/**
 * Whether a checksum change applies to `job` and changes something. Refused: an index past the job's files, and any
 * change to a file already transferred (its bytes were accepted under the old expectation; BITS's own rule for a
 * file's properties is that they are fixed once its transfer is done).
 */
export function checkChecksumChange(job: JobRecord, change: FileChecksumChange): boolean {
  const file = job.files[change.fileIndex];
  if (!file) throw invalid(`Job ${job.id} has no file ${change.fileIndex} (it has ${job.files.length}).`);
  if ((file.sha256 ?? null) === change.sha256) return false;
  if (file.transferred) {
    throw new BitsError(
      Codes.BG_E_INVALID_STATE,
      `File ${change.fileIndex} of job ${job.id} is already transferred, so its checksum can no longer change. To check it against another digest, cancel the job and download the file again with that checksum.`,
      general,
    );
  }
  return true;
}

/**
 * The path of `name` inside `folder`, refusing a name that would leave the folder ("../x", an absolute name, a
 * drive or a separator trick): a caller that chose a folder gets files in that folder and nowhere else.
 */
export function pathInFolder(folder: string, name: string): string {
  const base = path.resolve(folder);
  const target = path.resolve(base, name);
  const relative = path.relative(base, target);
  if (!name || !relative || relative.startsWith('..') || path.isAbsolute(relative)) {
    throw new BitsError(
      Codes.E_INVALIDARG,
      `The file name "${name}" would not be inside the chosen folder ${base}; give a plain file name.`,
      ErrorContext.LOCAL_FILE,
    );
  }
  return target;
}

/** Where a job's validator comes from: one of the three sources, nothing else (an API caller may pass anything). */
export function checkValidatorSource(source: unknown): ValidatorSource {
  if (source === 'none' || source === 'workspace' || source === 'api') return source;
  throw new BitsError(
    Codes.E_INVALIDARG,
    `Unknown validator source ${typeof source === 'string' ? `"${source.slice(0, 40)}"` : `of type ${typeof source}`}: use none, workspace or api.`,
    ErrorContext.GENERAL_QUEUE_MANAGER,
  );
}

export function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  throw new BitsError(
    Codes.E_INVALIDARG,
    `${name} must be true or false, not a value of type ${typeof value}.`,
    ErrorContext.GENERAL_QUEUE_MANAGER,
  );
}
