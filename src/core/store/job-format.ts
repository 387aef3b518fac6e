// The stored form of a job: { version, job }. Parsing checks the shape, so a damaged file is caught at load
// instead of failing later in the middle of a transfer.
import { JobPriority, JobState, type FileRecord, type JobRecord } from '../jobs/model';

/** Bumped when the stored shape changes incompatibly; a file with a larger version is left for the newer code. */
export const STORE_VERSION = 1;

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

const isString = (v: unknown): v is string => typeof v === 'string';
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkFile(value: unknown, index: number): FileRecord {
  if (!isObject(value)) fail(`file ${index} is not an object`);
  const f = value;
  if (!isString(f.remoteUrl) || !isString(f.localPath) || !isString(f.tempPath)) fail(`file ${index} lacks its URL or paths`);
  if (!(f.bytesTotal === null || isCount(f.bytesTotal))) fail(`file ${index} has an invalid bytesTotal`);
  if (!isCount(f.bytesTransferred)) fail(`file ${index} has an invalid bytesTransferred`);
  if (typeof f.transferred !== 'boolean') fail(`file ${index} has an invalid transferred flag`);
  return f as unknown as FileRecord;
}

/** The job in `text`, or a StoreFormatError saying what is wrong with it. `id` is the file's name. */
export function parseStoredJob(text: string, id: string): JobRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    fail(`not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(parsed)) fail('not a JSON object');
  if (typeof parsed.version !== 'number') fail('no version field');
  if (parsed.version > STORE_VERSION) throw new StoreFormatError(`store version ${parsed.version}, this version reads ${STORE_VERSION}`, true);
  const job = parsed.job;
  if (!isObject(job)) fail('no job object');
  if (job.id !== id) fail(`the job id ${String(job.id)} does not match the file name`);
  if (!isString(job.displayName) || !isString(job.description) || !isString(job.owner)) fail('the job lacks its name, description or owner');
  if (typeof job.state !== 'number' || JobState[job.state] === undefined) fail(`unknown state ${String(job.state)}`);
  if (typeof job.priority !== 'number' || JobPriority[job.priority] === undefined) fail(`unknown priority ${String(job.priority)}`);
  if (!Array.isArray(job.files)) fail('no file list');
  job.files.forEach(checkFile);
  if (!isObject(job.times) || !isString(job.times.created) || !isString(job.times.modified)) fail('the job lacks its times');
  if (!isCount(job.minimumRetryDelay) || !isCount(job.noProgressTimeout) || !isCount(job.securityFlags)) fail('invalid retry settings or security flags');
  if (!isObject(job.customHeaders)) fail('invalid custom headers');
  return job as unknown as JobRecord;
}
