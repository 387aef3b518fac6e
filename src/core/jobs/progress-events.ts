// A job's progress as bytes arrive: the counts on its record, and 'progress' events at most once per interval
// (BITS: 500 ms), the last bytes of a run always reported.
import type { Slot } from './slot';

/** Bytes arrived at `now`: the rate, the no-progress window and (as in BITS) the modification time move. */
export function countBytes(slot: Slot, bytes: number, now: number): void {
  slot.rate.add(bytes, now);
  slot.record.lastProgressAt = now;
  slot.record.times.modified = new Date(now).toISOString();
}

export class ProgressThrottle {
  private stopped = false;

  /** `emit` fires one job's 'progress' event. */
  constructor(
    private readonly intervalMs: number,
    private readonly emit: (slot: Slot) => void,
  ) {}

  /** Bytes moved at `now`: an event now, or one timer for what is left of the interval. */
  moved(slot: Slot, now: number): void {
    if (now - slot.lastProgressEvent >= this.intervalMs) {
      this.emitNow(slot);
    } else if (!slot.progressTimer) {
      slot.progressTimer = setTimeout(() => this.emitNow(slot), this.intervalMs - (now - slot.lastProgressEvent));
      slot.progressTimer.unref();
    }
  }

  /** A run ended: what the timer still holds back is reported now. */
  flush(slot: Slot): void {
    if (slot.progressTimer) this.emitNow(slot);
  }

  /** The engine shuts down: timers are cleared and no event fires any more. */
  stop(slots: Iterable<Slot>): void {
    this.stopped = true;
    for (const slot of slots) clearTimeout(slot.progressTimer);
  }

  private emitNow(slot: Slot): void {
    clearTimeout(slot.progressTimer);
    slot.progressTimer = undefined;
    slot.lastProgressEvent = Date.now();
    if (!this.stopped) this.emit(slot);
  }
}
