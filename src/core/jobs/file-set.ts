// A new file set (BITS AddFileSet), checked whole before any file is added: each file's URL and path, its
// destination against the job's other files and every other live job's (whichever completed last would silently
// replace the other's file), and what is at it now (what Complete may replace).
import { BitsError, Codes, ErrorContext } from '../errors';
import { JobState, type FileRecord, type JobRecord, type NewFileOptions } from '../model/job';
import { FINAL_STATES, stateName } from '../model/states';
import { tempPathFor } from '../transfer/temp-file';
import { eachLimited, FILE_CALLS_AT_ONCE } from '../util/each-limited';
import { checkNewFile, type CheckedFile } from './file-checks';
import { destinationAtAdd } from './job-files';

/**
 * The records of `files` to add to `job`, every one checked first: one refused file refuses the set. `jobs`: every
 * job's record (`job`'s own is skipped). With `nameEntries` (addFiles), a refusal names the entry and says that
 * nothing was added.
 */
export async function newFileRecords(
  job: JobRecord,
  files: readonly NewFileOptions[],
  jobs: Iterable<JobRecord>,
  nameEntries: boolean,
): Promise<FileRecord[]> {
  const refused = (index: number, err: unknown): unknown =>
    nameEntries && err instanceof BitsError
      ? new BitsError(
          err.code,
          `files[${index}] was refused, so none of the ${files.length} files was added: ${err.message}`,
          err.context,
          { cause: err },
        )
      : err;
  const taken = destinationsOf(job);
  const elsewhere = liveDestinations(jobs, job.id);
  const checkedFiles = [];
  for (const [index, file] of files.entries()) {
    try {
      checkedFiles.push(checkAddedFile(job, file, taken, elsewhere));
    } catch (err) {
      throw refused(index, err);
    }
  }
  // What is at each destination now is what Complete may replace (an existing folder is refused).
  const replaces = new Map<string, string>();
  await eachLimited(checkedFiles, FILE_CALLS_AT_ONCE, async (checked, index) => {
    const existing = await destinationAtAdd(checked.localPath).catch((err: unknown) => {
      throw refused(index, err);
    });
    if (existing !== undefined) replaces.set(checked.localPath, existing);
  });
  return checkedFiles.map((checked, i) => {
    const replaced = replaces.get(checked.localPath);
    return {
      remoteUrl: checked.url.href,
      localPath: checked.localPath,
      tempPath: tempPathFor(checked.localPath, job.id, job.files.length + i),
      bytesTotal: null,
      bytesTransferred: 0,
      transferred: false,
      ...(checked.sha256 ? { sha256: checked.sha256 } : {}),
      ...(replaced !== undefined ? { replaces: replaced } : {}),
    };
  });
}

/** A destination as the file system compares it: case matters on Linux only. */
function destinationKey(localPath: string): string {
  return process.platform === 'linux' ? localPath : localPath.toLowerCase();
}

/** The destinations of `job`'s files, by destinationKey. */
function destinationsOf(job: JobRecord): Set<string> {
  return new Set(job.files.map((f) => destinationKey(f.localPath)));
}

/**
 * The destinations of every job but `jobId` that may still write them, by destinationKey: not completed or
 * cancelled, and not in ERROR (a failed job writes nothing until its owner resumes it, and running a failed `get`
 * again must work; should both then finish, Complete's rule keeps the later one from replacing the other's file).
 */
function liveDestinations(jobs: Iterable<JobRecord>, jobId: string): Map<string, JobRecord> {
  const destinations = new Map<string, JobRecord>();
  for (const record of jobs) {
    if (record.id === jobId || FINAL_STATES.has(record.state) || record.state === JobState.ERROR) continue;
    for (const f of record.files) destinations.set(destinationKey(f.localPath), record);
  }
  return destinations;
}

/** One file of a set, checked against the job's other files (`taken`, which it joins) and other jobs' ones. */
function checkAddedFile(job: JobRecord, file: NewFileOptions, taken: Set<string>, elsewhere: Map<string, JobRecord>): CheckedFile {
  const checked = checkNewFile(file);
  const key = destinationKey(checked.localPath);
  if (taken.has(key)) {
    throw new BitsError(
      Codes.E_INVALIDARG,
      `Job ${job.id} already has a file at ${checked.localPath}; each file of a job needs its own path.`,
      ErrorContext.GENERAL_QUEUE_MANAGER,
    );
  }
  const other = elsewhere.get(key);
  if (other !== undefined) {
    throw new BitsError(
      Codes.E_SHARING_VIOLATION,
      `Job ${other.id} ("${other.displayName}", ${stateName(other.state)}) already downloads to ${checked.localPath}. Wait for it to finish, cancel it, or choose another path.`,
      ErrorContext.LOCAL_FILE,
    );
  }
  taken.add(key);
  return checked;
}
