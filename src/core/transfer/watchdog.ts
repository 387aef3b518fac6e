// Aborts a transfer that receives nothing for too long. Cheap per chunk: activity only records a time; the one
// timer re-arms itself for the remaining time instead of being reset on every chunk. Its signal also follows a
// parent signal (the engine's stop), forwarded by hand: AbortSignal.any, which did that before, costs a signal
// with weak references and a finalizer per request, ~0.1 ms of CPU per file in a job of 1,000 small files
// (node --cpu-prof: createAbortSignal, any, MixedEventEmitter and their cleanup).
import type { BitsError } from '../errors';

export interface IdleLimit {
  ms: number;
  /** The error to fail with when the limit runs out. */
  error: () => BitsError;
}

export class IdleWatchdog {
  private readonly controller = new AbortController();
  private lastActivity = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private limit: IdleLimit;

  private readonly onParentAbort = () => this.controller.abort(this.parent?.reason);

  /**
   * `limitNow(lastActivity)`: how long, counted from the last activity, the transfer may stay silent. `parent`:
   * a signal whose abort aborts this one too, with its reason.
   */
  constructor(
    private readonly limitNow: (lastActivity: number) => IdleLimit,
    private readonly parent?: AbortSignal,
  ) {
    this.limit = limitNow(this.lastActivity);
    if (parent?.aborted) this.controller.abort(parent.reason);
    else {
      parent?.addEventListener('abort', this.onParentAbort, { once: true });
      this.arm(this.limit.ms);
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Bytes arrived: the idle time starts again (and the limit is recomputed, it may depend on progress). */
  kick(): void {
    this.lastActivity = Date.now();
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => this.check(), Math.max(1, ms));
  }

  private check(): void {
    this.limit = this.limitNow(this.lastActivity);
    const idle = Date.now() - this.lastActivity;
    if (idle >= this.limit.ms) {
      this.controller.abort(this.limit.error());
      return;
    }
    this.arm(this.limit.ms - idle);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.parent?.removeEventListener('abort', this.onParentAbort);
  }
}
