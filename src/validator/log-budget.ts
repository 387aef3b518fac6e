// A validator that logs on every call (or in a loop) must not flood the extension's log: at most `lines`
// per window, then one line saying how many were dropped. Counted in the validator's supervisor, before
// the pipe, and again in the host (with more room), which trusts nothing the process sends.
export const LOG_BUDGET = 100;
export const LOG_WINDOW_MS = 10_000;

export class LogBudget {
  private windowStart = 0;
  private windowLines = 0;
  private dropped = 0;

  constructor(
    private readonly lines = LOG_BUDGET,
    private readonly windowMs = LOG_WINDOW_MS,
  ) {}

  /**
   * Whether a line logged `now` is kept. `onDropped` hears, once a new window starts, how many lines
   * the last one dropped.
   */
  admit(now: number, onDropped: (message: string) => void): boolean {
    if (now - this.windowStart > this.windowMs) {
      if (this.dropped > 0)
        onDropped(`${this.dropped} log line(s) of the validator were dropped (more than ${this.lines} in ${this.windowMs / 1000} s)`);
      this.windowStart = now;
      this.windowLines = 0;
      this.dropped = 0;
    }
    if (++this.windowLines > this.lines) {
      this.dropped++;
      return false;
    }
    return true;
  }
}
