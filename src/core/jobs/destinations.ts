// Where a new file of a set may go: each file of a job at its own path, and none at a path another live job
// writes to (whichever completed last would silently replace the other's file).
import { BitsError, Codes, ErrorContext } from '../errors';
import { JobState, type JobRecord, type NewFileOptions } from '../model/job';
import { FINAL_STATES, stateName } from '../model/states';
import { checkNewFile, type CheckedFile } from './file-checks';

/** A destination as the file system compares it: case matters on Linux only. */
export function destinationKey(localPath: string): string {
  return process.platform === 'linux' ? localPath : localPath.toLowerCase();
}

/** The destinations of `job`'s files, by destinationKey. */
export function destinationsOf(job: JobRecord): Set<string> {
  return new Set(job.files.map((f) => destinationKey(f.localPath)));
}

/**
 * The destinations of every job but `jobId` that may still write them, by destinationKey: not completed or
 * cancelled, and not in ERROR (a failed job writes nothing until its owner resumes it, and running a failed `get`
 * again must work; should both then finish, Complete's rule keeps the later one from replacing the other's file).
 */
export function liveDestinations(jobs: Iterable<JobRecord>, jobId: string): Map<string, JobRecord> {
  const destinations = new Map<string, JobRecord>();
  for (const record of jobs) {
    if (record.id === jobId || FINAL_STATES.has(record.state) || record.state === JobState.ERROR) continue;
    for (const f of record.files) destinations.set(destinationKey(f.localPath), record);
  }
  return destinations;
}

/** One file of a set, checked against the job's other files (`taken`, which it joins) and other jobs' ones. */
export function checkAddedFile(job: JobRecord, file: NewFileOptions, taken: Set<string>, elsewhere: Map<string, JobRecord>): CheckedFile {
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
