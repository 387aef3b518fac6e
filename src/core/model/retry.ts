// What happens after a transfer error, as pure functions: transient or final, and when the next try is.
import { BitsError, Codes, httpStatusOf, isTransientStatus } from '../errors';

const transientCodes: ReadonlySet<number> = new Set([
  Codes.BG_E_CONNECT_FAILURE,
  Codes.BG_E_CONNECTION_CLOSED,
  Codes.ERROR_WINHTTP_TIMEOUT,
  Codes.BG_E_INVALID_SERVER_RESPONSE,
  Codes.BG_E_REMOTE_FILE_CHANGED,
]);

/** Network failures and HTTP 5xx, 408 and 429 are worth retrying; everything else needs a person. */
export function isTransientCode(code: number): boolean {
  const c = code >>> 0;
  if (transientCodes.has(c)) return true;
  const status = httpStatusOf(c);
  return status !== undefined && isTransientStatus(status);
}

/** What an error says about trying again: whether to, and the least wait the server asked for. */
export interface RetryHint {
  transient: boolean;
  retryAfterSeconds?: number;
}

/**
 * The one place that decides whether a transfer error is retried (the engine's TRANSIENT_ERROR, a segment's
 * reconnect): as the error was made (its `transient`), else by its code. Anything not a BitsError is final.
 */
export function retryOf(error: unknown): RetryHint {
  if (!(error instanceof BitsError)) return { transient: false };
  return { transient: error.transient ?? isTransientCode(error.code), retryAfterSeconds: error.retryAfterSeconds };
}

/** Retry-After as seconds (delta-seconds or an HTTP date), undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, (date - now) / 1000);
}

export interface RetryInput {
  transient: boolean;
  now: number;
  /** Epoch ms of the last progress (or of the job entering the queue). */
  lastProgressAt: number;
  noProgressTimeoutSeconds: number;
  minimumRetryDelaySeconds: number;
  /** The engine's lower bound for any retry delay (BITS: 5 s). */
  floorSeconds: number;
  retryAfterSeconds?: number;
}

export type RetryDecision =
  | { kind: 'retry'; at: number; delaySeconds: number }
  | { kind: 'fail'; why: 'final' | 'no-progress-timeout-zero' | 'no-progress' | 'retry-after-window'; delaySeconds?: number };

/**
 * BITS: a transient error waits max(MinimumRetryDelay, Retry-After) and retries, unless the no-progress window
 * would run out first (then ERROR: waiting for a retry that can no longer happen helps nobody).
 */
export function decideAfterError(input: RetryInput): RetryDecision {
  if (!input.transient) return { kind: 'fail', why: 'final' };
  if (input.noProgressTimeoutSeconds === 0) return { kind: 'fail', why: 'no-progress-timeout-zero' };
  const delaySeconds = Math.max(input.floorSeconds, input.minimumRetryDelaySeconds, input.retryAfterSeconds ?? 0);
  const deadline = input.lastProgressAt + input.noProgressTimeoutSeconds * 1000;
  if (input.now >= deadline) return { kind: 'fail', why: 'no-progress' };
  const at = input.now + delaySeconds * 1000;
  if (at > deadline) return { kind: 'fail', why: 'retry-after-window', delaySeconds };
  return { kind: 'retry', at, delaySeconds };
}

/** Words for the job's description when a transient error became final. */
export function explainFailure(decision: RetryDecision, noProgressTimeoutSeconds: number): string {
  if (decision.kind !== 'fail') return '';
  switch (decision.why) {
    case 'final':
      return '';
    case 'no-progress-timeout-zero':
      return ' (The no-progress timeout is 0, so the first error is final.)';
    case 'no-progress':
      return ` (No progress for ${noProgressTimeoutSeconds} s, the job's no-progress timeout; it stopped retrying. Resume it to try again.)`;
    case 'retry-after-window':
      return ` (The next retry, in ${Math.round(decision.delaySeconds ?? 0)} s, would come after the no-progress timeout of ${noProgressTimeoutSeconds} s; the job stopped retrying. Resume it to try again.)`;
  }
}
