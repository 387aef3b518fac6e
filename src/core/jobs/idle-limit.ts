// How long a job's connection may stay silent: the stall limit, or less when the job's no-progress window (BITS's
// NoProgressTimeout) ends sooner; and the error each ends with.
import { BitsError, Codes, ErrorContext } from '../errors';
import type { JobRecord } from '../model/job';
import type { IdleLimit } from '../transfer/watchdog';

/** The silence `job`'s connection may keep from `lastActivity` on, with `stallMs` the engine's stall limit. */
export function idleLimitOf(job: JobRecord, stallMs: number, lastActivity: number): IdleLimit {
  if (job.noProgressTimeout > 0) {
    const windowLeft = (job.lastProgressAt ?? lastActivity) + job.noProgressTimeout * 1000 - lastActivity;
    if (windowLeft < stallMs) {
      return {
        ms: Math.max(0, windowLeft),
        error: () => {
          // A retry cut short by the window: the error being retried says more than "no data" does.
          const retried = job.error;
          if (retried) return new BitsError(retried.code, retried.description, retried.context, { transient: true });
          return new BitsError(
            Codes.BG_E_NO_PROGRESS,
            `No data arrived for ${job.noProgressTimeout} s, the job's no-progress timeout. Resume the job to try again.`,
            ErrorContext.GENERAL_TRANSPORT,
            {
              transient: false,
            },
          );
        },
      };
    }
  }
  return {
    ms: stallMs,
    error: () =>
      new BitsError(
        Codes.ERROR_WINHTTP_TIMEOUT,
        `The server sent nothing for ${Math.round(stallMs / 1000)} s; the connection was dropped and will be retried.`,
        ErrorContext.GENERAL_TRANSPORT,
        {
          transient: true,
        },
      ),
  };
}
