// Synchronous file calls while the file system answers quickly, the thread pool once it does not.
import { performance } from 'node:perf_hooks';

/** A call slower than this counts as slow... */
const SLOW_CALL_MS = 2;
/** ...and this many in a row mean a slow file system (a network share): its calls block the event loop. */
const SLOW_CALLS_IN_A_ROW = 3;
/** After which the calls go to the thread pool this long, then are tried synchronously again. */
const ASYNC_FOR_MS = 10_000;

/**
 * Whether quick file calls (a temp file's open and close, Complete's link, lstat and unlink) are made
 * synchronously. On a local disk an open or a close takes 10-50 µs, where
 * a thread-pool round trip wakes a sleeping thread and costs the main thread more, in time and in CPU (measured
 * here, 1,000 files of 100 KiB: async open + close took 200-540 ms of wall time, sync 100-110 ms; in a profile of a
 * job of 1,000 small files they were the two largest items, 0.52 s of 2.7 s). One slow call is not enough to go
 * the other way (on a loaded machine a call measured across a preemption looks slow); three in a row are.
 */
export class QuickCalls {
  private slowInARow = 0;
  private asyncUntil = -Infinity;

  constructor(private readonly now: () => number = () => performance.now()) {}

  get quick(): boolean {
    return this.now() >= this.asyncUntil;
  }

  /** Runs `call` synchronously, and counts how long it took. */
  timed<T>(call: () => T): T {
    const started = this.now();
    try {
      return call();
    } finally {
      this.slowInARow = this.now() - started > SLOW_CALL_MS ? this.slowInARow + 1 : 0;
      if (this.slowInARow >= SLOW_CALLS_IN_A_ROW) {
        this.slowInARow = 0;
        this.asyncUntil = this.now() + ASYNC_FOR_MS;
      }
    }
  }
}
