// A bandwidth limit shared by every transfer of an engine: a token bucket that lets a short burst through and
// then holds the average rate. Writers ask for their bytes before writing them; while they wait the sink does
// not drain, so backpressure pauses the sockets and the network rate follows.

/** The burst allowed after an idle spell: a tenth of a second at the limit (at least 16 KiB). */
const BURST_SECONDS = 0.1;
const MIN_BURST = 16 << 10;

export class BandwidthLimiter {
  private bytesPerSecond = 0;
  private tokens = 0;
  private refilledAt = Date.now();
  /** Waiters are served in order, so one busy transfer cannot starve the others. */
  private tail: Promise<void> = Promise.resolve();

  constructor(bytesPerSecond = 0) {
    this.setLimit(bytesPerSecond);
  }

  /** 0 (or less) removes the limit. */
  setLimit(bytesPerSecond: number): void {
    this.bytesPerSecond = Number.isFinite(bytesPerSecond) && bytesPerSecond > 0 ? bytesPerSecond : 0;
    // A new limit starts with an empty bucket and no debt carried over from the old one.
    this.tokens = 0;
    this.refilledAt = Date.now();
  }

  get limit(): number {
    return this.bytesPerSecond;
  }

  get limited(): boolean {
    return this.bytesPerSecond > 0;
  }

  private get burst(): number {
    return Math.max(MIN_BURST, this.bytesPerSecond * BURST_SECONDS);
  }

  /**
   * Resolves once `bytes` are paid for: at once while the bucket holds tokens, else when the rate has earned the
   * debt back. So a large batch waits as long as its size needs, and the next caller waits behind it.
   */
  take(bytes: number, signal?: AbortSignal): Promise<void> {
    if (!this.limited) return Promise.resolve();
    const turn = this.tail.then(() => this.acquire(bytes, signal));
    this.tail = turn.catch(() => undefined);
    return turn;
  }

  private refill(): void {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.bytesPerSecond);
    this.refilledAt = now;
  }

  private async acquire(bytes: number, signal?: AbortSignal): Promise<void> {
    if (!this.limited) return;
    this.refill();
    this.tokens -= bytes;
    // In short steps, so a lifted or changed limit applies to a waiter too.
    while (this.limited && this.tokens < 0) {
      signal?.throwIfAborted();
      const waitMs = Math.min(250, Math.max(5, Math.ceil((-this.tokens / this.bytesPerSecond) * 1000)));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, waitMs);
        function done(): void {
          signal?.removeEventListener('abort', done);
          clearTimeout(timer);
          resolve();
        }
        signal?.addEventListener('abort', done, { once: true });
      });
      this.refill();
    }
  }
}
