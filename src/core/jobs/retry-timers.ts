// The retry timer of each job in TRANSIENT_ERROR: it waits for the job's retry time, however far off, then hands
// the job back to the engine to go back in line.
import { JobState } from '../model/job';
import type { Slot } from './slot';

/** Timers cannot wait longer than about 24.8 days; a longer retry delay is waited for in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class RetryTimers {
  private stopped = false;

  /** `due` runs when a job's retry time has come and it still waits in TRANSIENT_ERROR (its retryAt cleared). */
  constructor(private readonly due: (slot: Slot) => void) {}

  /** The job retries at `at` (ms since the epoch), replacing any retry it waited for. */
  arm(slot: Slot, at: number): void {
    this.clear(slot);
    slot.record.retryAt = at;
    slot.retryTimer = setTimeout(
      () => {
        slot.retryTimer = undefined;
        if (slot.record.state !== JobState.TRANSIENT_ERROR || this.stopped) return;
        if (Date.now() < at) return this.arm(slot, at);
        slot.record.retryAt = undefined;
        this.due(slot);
      },
      Math.min(MAX_TIMER_MS, Math.max(0, at - Date.now())),
    );
  }

  clear(slot: Slot): void {
    clearTimeout(slot.retryTimer);
    slot.retryTimer = undefined;
  }

  /** The engine shuts down: every timer is cleared and none fires any more. */
  stop(slots: Iterable<Slot>): void {
    this.stopped = true;
    for (const slot of slots) this.clear(slot);
  }
}
