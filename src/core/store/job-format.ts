// The stored form of a job: { version, job }. A job file is input from disk, which anyone with access to the
// folder (or a crash, or a bug) may have changed, and the engine acts on it: it deletes temp paths on cancel,
// renames onto local paths on Complete, sends headers and requests URLs. So parsing checks every field against
// what the engine itself would have written, and builds a fresh record from the checked values only: a file
// that fails any check is refused (the store sets it aside) instead of failing later, or doing harm, in the
// middle of a transfer.
import * as path from 'node:path';
import { ErrorContext } from '../errors';
import {
  JobPriority,
  JobState,
  type FileRecord,
  type JobError,
  type JobRecord,
  type SegmentRecord,
  type ValidatorSource,
} from '../model/job';
import { checkHeaderNames, checkHeaders, checkSecurityFlags } from '../model/validation';
import { tempPathFor } from '../transfer/temp-file';
import { checkClientCertificateRecord } from '../tls/client-certificate';

/** Bumped when the stored shape changes incompatibly; a file with a larger version is left for the newer code. */
export const STORE_VERSION = 1;

/** Far above any job the engine writes (about 350 bytes per file); a bigger file is refused unread. */
export const MAX_JOB_FILE_BYTES = 64 * 1024 * 1024;
/** A stored job nests 5 levels deep ({version, job: {files: [{segments: [{...}]}]}}); deeper is not ours. */
const MAX_NESTING = 8;
/** The engine's own bounds (model/validation.ts, jobs/file-checks.ts, engine.ts): display name, description, owner, URLs. */
const MAX_NAME = 256;
const MAX_DESCRIPTION = 1024;
const MAX_URL = 8192;
/** PATH_MAX on Linux; Windows long paths stay below it too. */
const MAX_PATH = 4096;
/** ETag and Last-Modified are sent back in If-Range; real ones are a few dozen characters. */
const MAX_VALIDATOR = 1024;
const MAX_TIME = 64;
/** Far above the pieces a split makes (segments.ts); each is checked for soundness before use anyway. */
const MAX_SEGMENTS = 100_000;
/** An error description is only shown; a longer one (from an older version without a cap) is cut, not refused. */
const MAX_ERROR_DESCRIPTION = 64 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const VALIDATOR_SOURCES: readonly ValidatorSource[] = ['none', 'workspace', 'api'];

export class StoreFormatError extends Error {
  constructor(
    message: string,
    readonly tooNew = false,
  ) {
    super(message);
  }
}

function fail(message: string): never {
  throw new StoreFormatError(message);
}

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isSeconds = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

function text(value: unknown, what: string, max: number): string {
  if (typeof value !== 'string') fail(`${what} is not a string`);
  if (value.length > max) fail(`${what} is ${value.length} characters long, more than the ${max} allowed`);
  return value;
}

function optionalText(value: unknown, what: string, max: number): string | undefined {
  return value === undefined ? undefined : text(value, what, max);
}

/** Deepest nesting of `{` / `[` outside strings: checked on the raw text, before JSON.parse builds anything. */
export function nestingDepth(json: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
}

function httpUrl(value: unknown, what: string): string {
  const raw = text(value, what, MAX_URL);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    fail(`${what} is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail(`${what} is a ${url.protocol} URL; only http and https are downloaded`);
  if (url.username || url.password) fail(`${what} carries credentials, which the store never holds`);
  return raw;
}

/** An absolute, normalized path (no `..`, no `.`, no doubled separator), not a root, without NUL. */
function localPathOf(value: unknown, what: string): string {
  const p = text(value, what, MAX_PATH);
  if (p.includes('\0')) fail(`${what} contains a NUL character`);
  if (!path.isAbsolute(p)) fail(`${what} is not an absolute path`);
  if (p.split(/[\\/]/).includes('..')) fail(`${what} contains ".."`);
  if (path.resolve(p) !== p) fail(`${what} is not in its normal form`);
  if (path.parse(p).root === p) fail(`${what} is a root folder`);
  return p;
}

/**
 * The temp path must be exactly the one the engine makes (`.<name>.<job id>-<n>.mddownload` beside the file's
 * own destination): cancel deletes it and Complete renames it, so any other path is refused.
 */
function tempPathOf(value: unknown, localPath: string, jobId: string, what: string): string {
  const p = text(value, what, MAX_PATH);
  const index = /-(\d{1,9})\.mddownload$/.exec(p)?.[1];
  if (index === undefined || p !== tempPathFor(localPath, jobId, Number(index))) {
    fail(
      `${what} is not the job's hidden temp file beside its destination (a temp path must be ${path.join(path.dirname(localPath), '.<name>.<job id>-<n>.mddownload')})`,
    );
  }
  return p;
}

/** A split as stored; a malformed one becomes an empty split, which the engine treats as damaged (restarts the file). */
function segmentsOf(value: unknown, what: string): SegmentRecord[] {
  if (!Array.isArray(value)) return [];
  if (value.length > MAX_SEGMENTS) fail(`${what} has ${value.length} segments, more than the ${MAX_SEGMENTS} allowed`);
  const segments: SegmentRecord[] = [];
  for (const s of value) {
    if (!isObject(s) || !isCount(s.start) || !isCount(s.end) || !isCount(s.position)) return [];
    segments.push({ start: s.start, end: s.end, position: s.position });
  }
  return segments;
}

function checkFile(value: unknown, index: number, jobId: string): FileRecord {
  const what = `file ${index}`;
  if (!isObject(value)) fail(`${what} is not an object`);
  const f = value;
  const localPath = localPathOf(f.localPath, `${what}'s local path`);
  const file: FileRecord = {
    remoteUrl: httpUrl(f.remoteUrl, `${what}'s URL`),
    localPath,
    tempPath: tempPathOf(f.tempPath, localPath, jobId, `${what}'s temp path`),
    bytesTotal: f.bytesTotal === null ? null : isCount(f.bytesTotal) ? f.bytesTotal : fail(`${what} has an invalid bytesTotal`),
    bytesTransferred: isCount(f.bytesTransferred) ? f.bytesTransferred : fail(`${what} has an invalid bytesTransferred`),
    transferred: typeof f.transferred === 'boolean' ? f.transferred : fail(`${what} has an invalid transferred flag`),
  };
  if (f.sha256 !== undefined) {
    if (typeof f.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(f.sha256)) fail(`${what} has an invalid sha256`);
    file.sha256 = f.sha256;
  }
  // Sent back in an If-Range header: no line breaks or other control characters.
  for (const key of ['etag', 'lastModified'] as const) {
    const v = optionalText(f[key], `${what}'s ${key}`, MAX_VALIDATOR);
    if (v === undefined) continue;
    if (/\p{Cc}/u.test(v)) fail(`${what}'s ${key} contains control characters`);
    file[key] = v;
  }
  if (f.lastModifiedStrong === true) file.lastModifiedStrong = true;
  // Which file the job created at its temp name (dev:ino), and which file at the destination Complete may replace
  // (dev:ino:size:mtime); anything else is dropped, which only makes the engine more careful (restart, refuse).
  if (typeof f.tempIdentity === 'string' && /^\d{1,40}:\d{1,40}$/.test(f.tempIdentity)) file.tempIdentity = f.tempIdentity;
  if (typeof f.replaces === 'string' && /^\d{1,40}:\d{1,40}:\d{1,40}:\d{1,40}$/.test(f.replaces)) file.replaces = f.replaces;
  if (f.finalUrl !== undefined) file.finalUrl = httpUrl(f.finalUrl, `${what}'s final URL`);
  if (f.segments !== undefined) file.segments = segmentsOf(f.segments, what);
  return file;
}

function checkFiles(value: unknown, jobId: string): FileRecord[] {
  if (!Array.isArray(value)) fail('no file list');
  const files = value.map((f, i) => checkFile(f, i, jobId));
  // Two files of a job never share a path, and no file's destination is another's temp file.
  const seen = new Set<string>();
  for (const p of files.flatMap((f) => [f.localPath, f.tempPath])) {
    const key = process.platform === 'linux' ? p : p.toLowerCase();
    if (seen.has(key)) fail(`two files of the job share the path ${p}`);
    seen.add(key);
  }
  return files;
}

function timeOf(value: unknown, what: string): string {
  const t = text(value, what, MAX_TIME);
  if (Number.isNaN(Date.parse(t))) fail(`${what} is not a date`);
  return t;
}

function checkError(value: unknown, fileCount: number): JobError {
  if (!isObject(value)) fail('the error is not an object');
  const e = value;
  if (typeof e.context !== 'number' || ErrorContext[e.context] === undefined) fail('the error has an unknown context');
  if (!isCount(e.code) || e.code > 0xffffffff) fail('the error code is not a 32-bit code');
  if (typeof e.description !== 'string') fail('the error has no description');
  const error: JobError = {
    context: e.context,
    code: e.code,
    description: e.description.length > MAX_ERROR_DESCRIPTION ? `${e.description.slice(0, MAX_ERROR_DESCRIPTION)}... (cut)` : e.description,
    time: timeOf(e.time, 'the error time'),
  };
  if (e.fileIndex !== undefined) {
    if (!isCount(e.fileIndex) || e.fileIndex >= Math.max(1, fileCount)) fail('the error names a file the job does not have');
    error.fileIndex = e.fileIndex;
  }
  return error;
}

/** The engine's own checks (headers, flags), their refusal turned into a reason to set the file aside. */
function checked<T>(what: string, check: () => T): T {
  try {
    return check();
  } catch (err) {
    fail(`${what}: ${(err as Error).message}`);
  }
}

function checkJob(job: Obj, id: string): JobRecord {
  const state = typeof job.state === 'number' && JobState[job.state] !== undefined ? (job.state as JobState) : fail('unknown state');
  const priority =
    typeof job.priority === 'number' && JobPriority[job.priority] !== undefined ? (job.priority as JobPriority) : fail('unknown priority');
  const files = checkFiles(job.files, id);
  if (!isObject(job.times)) fail('the job lacks its times');
  const times: JobRecord['times'] = {
    created: timeOf(job.times.created, 'the creation time'),
    modified: timeOf(job.times.modified, 'the modification time'),
  };
  if (job.times.transferCompleted !== undefined) times.transferCompleted = timeOf(job.times.transferCompleted, 'the transfer time');
  const record: JobRecord = {
    id,
    displayName: text(job.displayName, 'the display name', MAX_NAME),
    description: text(job.description, 'the description', MAX_DESCRIPTION),
    priority,
    owner: text(job.owner, 'the owner', MAX_NAME),
    state,
    files,
    times,
    minimumRetryDelay: isSeconds(job.minimumRetryDelay) ? job.minimumRetryDelay : fail('invalid minimum retry delay'),
    noProgressTimeout: isSeconds(job.noProgressTimeout) ? job.noProgressTimeout : fail('invalid no-progress timeout'),
    securityFlags: checked('invalid security flags', () => checkSecurityFlags(job.securityFlags)),
    customHeaders: checked('invalid custom headers', () => checkHeaders(isObject(job.customHeaders) ? job.customHeaders : null)),
    validator: VALIDATOR_SOURCES.includes(job.validator as ValidatorSource)
      ? (job.validator as ValidatorSource)
      : fail('unknown validator source'),
  };
  if (job.writeOnlyHeaderNames !== undefined)
    record.writeOnlyHeaderNames = checked('invalid write-only header names', () => checkHeaderNames(job.writeOnlyHeaderNames));
  if (job.error !== undefined) record.error = checkError(job.error, files.length);
  for (const key of ['retryAt', 'lastProgressAt'] as const) {
    if (job[key] === undefined) continue;
    record[key] = isSeconds(job[key]) ? job[key] : fail(`invalid ${key}`);
  }
  if (job.autoComplete !== undefined)
    record.autoComplete = typeof job.autoComplete === 'boolean' ? job.autoComplete : fail('invalid autoComplete flag');
  if (job.clientCertificate !== undefined)
    record.clientCertificate = checked('invalid client certificate', () => checkClientCertificateRecord(job.clientCertificate));
  return record;
}

/** The job in `text`, or a StoreFormatError saying what is wrong with it. `id` is the file's name. */
export function parseStoredJob(text: string, id: string): JobRecord {
  if (!UUID.test(id)) fail('the file name is not a job id');
  if (text.length > MAX_JOB_FILE_BYTES) fail(`the file is larger than ${MAX_JOB_FILE_BYTES} bytes`);
  const depth = nestingDepth(text);
  if (depth > MAX_NESTING) fail(`nested ${depth} levels deep, where a job has at most ${MAX_NESTING}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    fail(`not valid JSON: ${(err as Error).message.slice(0, 200)}`);
  }
  if (!isObject(parsed)) fail('not a JSON object');
  if (typeof parsed.version !== 'number') fail('no version field');
  if (parsed.version > STORE_VERSION)
    throw new StoreFormatError(`store version ${parsed.version}, this version reads ${STORE_VERSION}`, true);
  if (parsed.version !== STORE_VERSION) fail(`unknown store version ${parsed.version}`);
  const job = parsed.job;
  if (!isObject(job)) fail('no job object');
  if (job.id !== id) fail('the job id does not match the file name');
  return checkJob(job, id);
}
