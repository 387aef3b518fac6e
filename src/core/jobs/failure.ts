// What a failed file means for its job: the error recorded on it, and whether and when it is tried again (the
// job's minimum retry delay and no-progress timeout, as BITS reads them; model/retry.ts decides).
import type { BitsError } from '../errors';
import type { JobRecord } from '../model/job';
import { decideAfterError, explainFailure, retryOf, type RetryDecision } from '../model/retry';

/**
 * Records `error` of file `fileIndex` as `job`'s error at `now` and returns the decision: retry (job.retryAt set)
 * or fail for good. `floorSeconds`: no retry comes sooner, whatever the job says.
 */
export function recordFailure(job: JobRecord, error: BitsError, fileIndex: number, now: number, floorSeconds: number): RetryDecision {
  const decision = decideAfterError({
    ...retryOf(error),
    now,
    lastProgressAt: job.lastProgressAt ?? now,
    noProgressTimeoutSeconds: job.noProgressTimeout,
    minimumRetryDelaySeconds: job.minimumRetryDelay,
    floorSeconds,
  });
  job.error = {
    context: error.context,
    code: error.code >>> 0,
    description: error.message + explainFailure(decision, job.noProgressTimeout),
    fileIndex,
    time: new Date(now).toISOString(),
  };
  job.retryAt = decision.kind === 'retry' ? decision.at : undefined;
  return decision;
}
