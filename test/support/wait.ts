// One way for tests to wait: on a condition, never a fixed sleep. The machines that run the suites are shared
// and noisy, so a sleep that is long enough on a quiet machine is too short under load (and too long when quiet).
import { setTimeout as delay } from 'node:timers/promises';

export interface WaitOptions {
  /** Give up after this long; the default is generous because a slow machine is not a failure. */
  timeoutMs?: number;
  /** How often to look again. */
  intervalMs?: number;
}

/**
 * Resolves with the condition's first truthy value; rejects after `timeoutMs` with `what` (and the last error the
 * condition threw, if any) so a failure says what never happened.
 */
export async function waitUntil<T>(what: string, condition: () => T | Promise<T>, options: WaitOptions = {}): Promise<NonNullable<T>> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const intervalMs = options.intervalMs ?? 10;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await delay(intervalMs);
  }
}

/**
 * Resolves as `promise` does (an event the test awaits), or rejects naming `what` when it has not settled after
 * `ms`. The time limit's timer is referenced, so a wait on code whose own timers are unreferenced (a lease's)
 * keeps the process alive until it is decided.
 */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)),
  );
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

/**
 * For a check that something does NOT happen: lets the code under test run for a while first. This is the one
 * place a test may pass time without a condition, and it says so by name.
 */
export function letTimePass(ms: number): Promise<void> {
  return delay(ms);
}
