// Context keys that say what the job list allows, so the Command Palette offers a job verb only when some
// job is in a state the verb applies to (package.json's menus.commandPalette `when` clauses use them).
// Computed from the same rules as the tree's context values (jobActions), so the palette and the job
// rows never disagree. Pure (no vscode import); ContextKeys in contextKeys.ts sets them.
import type { JobSnapshot } from '../core/model/job';
import { canDo, isFinal, type JobAction } from './jobActions';

export const JobContextKeys = {
  /** Any job is listed, finished ones included (Show Job Details, Set Write-Only Header). */
  hasJobs: 'managedDownloads.hasJobs',
  /** A completed or cancelled job is still listed (Clear Finished Jobs). */
  hasFinishedJobs: 'managedDownloads.hasFinishedJobs',
  hasJobsToResume: 'managedDownloads.hasJobsToResume',
  hasJobsToSuspend: 'managedDownloads.hasJobsToSuspend',
  hasJobsToCancel: 'managedDownloads.hasJobsToCancel',
  hasJobsToComplete: 'managedDownloads.hasJobsToComplete',
  hasJobsToRetry: 'managedDownloads.hasJobsToRetry',
  hasJobsToPrioritize: 'managedDownloads.hasJobsToPrioritize',
  hasJobsToAddFilesTo: 'managedDownloads.hasJobsToAddFilesTo',
} as const;

/** Context keys the view's title actions and the History menus read. */
export const ViewContextKeys = {
  canSuspendAll: 'managedDownloads.canSuspendAll',
  canResumeAll: 'managedDownloads.canResumeAll',
  hasHistory: 'managedDownloads.hasHistory',
} as const;

export type JobContextKey = (typeof JobContextKeys)[keyof typeof JobContextKeys];

const keyOfAction: Record<JobAction, JobContextKey> = {
  resume: JobContextKeys.hasJobsToResume,
  suspend: JobContextKeys.hasJobsToSuspend,
  cancel: JobContextKeys.hasJobsToCancel,
  complete: JobContextKeys.hasJobsToComplete,
  retryNow: JobContextKeys.hasJobsToRetry,
  setPriority: JobContextKeys.hasJobsToPrioritize,
  addFile: JobContextKeys.hasJobsToAddFilesTo,
};

/** Every key with its value for this job list; one pass over the jobs. */
export function jobContextKeyValues(jobs: Iterable<JobSnapshot>): Record<JobContextKey, boolean> {
  const values = Object.fromEntries(Object.values(JobContextKeys).map((k) => [k, false])) as Record<JobContextKey, boolean>;
  const actions = Object.keys(keyOfAction) as JobAction[];
  for (const job of jobs) {
    values[JobContextKeys.hasJobs] = true;
    if (isFinal(job.state)) values[JobContextKeys.hasFinishedJobs] = true;
    for (const action of actions) if (!values[keyOfAction[action]] && canDo(job, action)) values[keyOfAction[action]] = true;
  }
  return values;
}
