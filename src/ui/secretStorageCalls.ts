// Every call to VS Code's SecretStorage goes through here, with a time limit. In code-server an extension host
// whose browser tab closed lives on, and its keychain calls never answer: a job waiting on one hung in CONNECTING
// and a verb waiting on one never returned. A call that does not answer in time fails with a BitsError instead, and
// what needed the secret does not go ahead without it (the job goes to TRANSIENT_ERROR and retries).
import { BitsError, Codes, ErrorContext } from '../core/errors';

/** How long one SecretStorage call (get, store, delete) may take before it counts as unanswered. */
export const SECRET_STORAGE_TIME_LIMIT_MS = 10_000;

/** What to tell the user to do when the secret storage does not answer or refuses. */
const ADVICE =
  'If the OS keychain is locked or asks for a password, unlock it; otherwise reload the window (Developer: Reload Window), or close windows of this workspace that no longer respond. A job retries by itself; Retry Now retries at once.';

/**
 * `call` (a SecretStorage promise) if it settles within `timeLimitMs`; otherwise a transient ERROR_TIMEOUT. A
 * refusal becomes a transient E_FAIL naming what was being done. `doing` reads like "reading the write-only
 * headers of job 42".
 */
export function secretCall<T>(call: Thenable<T>, doing: string, timeLimitMs = SECRET_STORAGE_TIME_LIMIT_MS): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        new BitsError(
          Codes.ERROR_TIMEOUT,
          `VS Code's secret storage did not answer within ${timeLimitMs / 1000} s while ${doing}. ${ADVICE}`,
          ErrorContext.GENERAL_QUEUE_MANAGER,
          { transient: true },
        ),
      );
    }, timeLimitMs);
    Promise.resolve(call).then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        const reason = err instanceof Error ? err.message : String(err);
        reject(
          new BitsError(
            Codes.E_FAIL,
            `VS Code's secret storage failed while ${doing}: ${reason}. ${ADVICE}`,
            ErrorContext.GENERAL_QUEUE_MANAGER,
            { cause: err, transient: true },
          ),
        );
      },
    );
  });
}
