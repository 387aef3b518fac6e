// Waiting for jobs to come to rest, as the CLI needs it: done, failed, or stopped by someone else.
import type { JobEngine } from '../core/jobs/engine';
import { JobState, type JobSnapshot } from '../core/model/job';
import { BitsError, Codes } from '../core/errors';
import { reportError } from './error-report';
import type { CliIO } from './outcome';

/** States in which nothing more will happen without a verb. TRANSFERRED rests only when nobody auto-completes it. */
export function atRest(job: JobSnapshot): boolean {
  switch (job.state) {
    case JobState.ACKNOWLEDGED:
    case JobState.CANCELLED:
    case JobState.ERROR:
    case JobState.SUSPENDED:
      return true;
    case JobState.TRANSFERRED:
      return !job.autoComplete;
    default:
      return false;
  }
}

/** Resolves with the jobs' snapshots once every one of them is at rest. */
export function waitUntilAtRest(engine: Pick<JobEngine, 'getJob' | 'onDidChangeJob'>, jobIds: readonly string[]): Promise<JobSnapshot[]> {
  return new Promise((resolve) => {
    const check = () => {
      const jobs = jobIds.map((id) => engine.getJob(id)).filter((j): j is JobSnapshot => j !== undefined);
      if (jobs.every(atRest)) {
        sub.dispose();
        resolve(jobs);
      }
    };
    const sub = engine.onDidChangeJob((e) => {
      if (e.kind === 'state' && jobIds.includes(e.job.id)) check();
    });
    check();
  });
}

/** The job with this id, or the only one whose id starts with it; otherwise why not (a job has an `error` field of its own, so the two are told apart by `found`). */
export function findJob(
  engine: Pick<JobEngine, 'getJob' | 'listAllJobs'>,
  idOrPrefix: string,
): { found: true; job: JobSnapshot } | { found: false; problem: string } {
  const exact = engine.getJob(idOrPrefix);
  if (exact) return { found: true, job: exact };
  const matches = engine.listAllJobs().filter((j) => j.id.startsWith(idOrPrefix));
  if (matches.length === 1) return { found: true, job: matches[0] };
  if (matches.length === 0)
    return { found: false, problem: `No job ${idOrPrefix} in this store. 'managed-downloads list' shows the jobs.` };
  return { found: false, problem: `${matches.length} jobs start with ${idOrPrefix}; give more of the id.` };
}

/** The job `findJob` finds, or undefined after telling the user why there is none (BG_E_NOT_FOUND, as every error reads). */
export function jobOrReport(
  engine: Pick<JobEngine, 'getJob' | 'listAllJobs'>,
  idOrPrefix: string,
  io: CliIO,
  json = false,
): JobSnapshot | undefined {
  const lookup = findJob(engine, idOrPrefix);
  if (lookup.found) return lookup.job;
  reportError(new BitsError(Codes.BG_E_NOT_FOUND, lookup.problem), io, { json, verbose: false });
  return undefined;
}
