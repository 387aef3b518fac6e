// Synchronous file calls while the file system answers quickly, the thread pool once it does not.
import { performance } from 'node:perf_hooks';

/** A call slower than this counts as slow... */
const SLOW_CALL_MS = 2;
/** ...and this many in a row mean a slow file system (a network share): its calls block the event loop. */
const SLOW_CALLS_IN_A_ROW = 3;
/** After which the calls go to the thread pool this long, then are tried synchronously again. */
const ASYNC_FOR_MS = 10_000;

/**
 * Whether quick file calls (Complete's link, lstat and unlink per file) are made synchronously: on a local disk
 * they take 5-15 µs each, where a thread-pool round trip wakes a sleeping thread and costs the main thread more.
 * One slow call is not enough to go the other way (on a loaded machine a call measured across a preemption looks
 * slow); three in a row are, and then the thread pool takes them for a while.
 *
 * Tried and dropped: temp files opened and closed this way too. Alone, 1,000 x (open, write 100 KiB, close) took
 * 103-109 ms synchronously against 196-541 ms through the pool; but in a job of 1,000 files of 100 KiB the
 * synchronous open moved ext4's file creation onto the main thread (0.58 s of a 1.6 s profile), where the pool
 * had done it beside the request: 12 interleaved runs, wall 1.72-1.91 s (sync) against 1.50-1.90 s, CPU
 * 2.03-2.26 against 2.00-2.47 s.
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
