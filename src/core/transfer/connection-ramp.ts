// How many Range connections one segmented file uses: it starts with one and doubles the count (quadruples it
// when the last doubling scaled linearly) while each step clearly raised the aggregate byte rate. Where the server caps each connection (a CDN, a congested
// link), every addition helps and the count reaches the maximum within a few short windows; where one
// connection already takes all there is (loopback, a fast link whose limit is our own CPU: every TLS stream
// decrypts on the one main thread), the first addition does not help and the file goes back to one connection.
// Where this thread was already busy all through a window, no addition is tried: see CPU_BOUND.
import { performance } from 'node:perf_hooks';

export interface RampSettings {
  /** The most connections this file may use (the policy's count). */
  max: number;
  /** A measuring window lasts at least this long... */
  minWindowMs: number;
  /** ...and until this many bytes arrived in it (or `maxWindowMs` passed), so a slow link is not judged on noise. */
  minWindowBytes: number;
  maxWindowMs: number;
  /** An addition counts as helping when the rate rose by more than this fraction (0.25: +25%). */
  gain: number;
  /** A count settled below the maximum is tried again this long after (twice as long after each retry). */
  retestMs: number;
}

export const DEFAULT_RAMP: Omit<RampSettings, 'max'> = {
  minWindowMs: 60,
  minWindowBytes: 256 << 10,
  maxWindowMs: 1000,
  gain: 0.25,
  retestMs: 1000,
};

/** A doubling that kept this share of the per-connection rate counts as (nearly) linear scaling. */
const LINEAR_SCALING = 0.75;
/** How long a window's rate counts as what its connection count can do (see ConnectionRamp.baseline). */
const RECENT_MS = 5000;
/** Silence this long before a chunk makes it the start of a burst (see ConnectionRamp.received). */
const BURST_GAP_MS = 5;

/**
 * A window in which the event loop was busy this share of the time or more was limited by this thread, not by the
 * network: every connection's TLS stream is decrypted and written on it, so another connection cannot raise the
 * rate, and costs CPU (its handshake, its own stream, the split). Measured on loopback here (1 GiB, nginx): one
 * connection keeps the loop 100% busy; a server capping each connection at 20 MB/s left it 13% busy with one
 * connection, 9% with two and 45% with eight (147 MiB/s). The ramp's retests and probes of a second connection
 * cost 0.3 s of CPU per GiB (user 1.46-1.53 s against 1.12-1.27 s with --connections 1), ~12% of the whole
 * download, where the main thread is the bottleneck.
 */
export const CPU_BOUND = 0.9;

/** Starts measuring how busy this thread is; the function returned reads the busy share (0-1) since the start. */
export type BusyMeter = () => () => number;

/** The event loop's utilization (Node's own measure: the share of time not spent waiting for I/O). */
export const eventLoopBusy: BusyMeter = () => {
  const start = performance.eventLoopUtilization();
  return () => performance.eventLoopUtilization(start).utilization;
};

/** What a finished window says to do next. */
export type RampStep = { kind: 'grow'; to: number } | { kind: 'settle'; at: number };

/**
 * The decision after measuring `rate` with `count` connections, where `before` was the rate with `previous`
 * connections (undefined for the first window). Pure, so the policy can be tested without a network.
 */
export function nextStep(
  settings: Pick<RampSettings, 'max' | 'gain'>,
  count: number,
  rate: number,
  before?: { count: number; rate: number },
  busy = 0,
): RampStep {
  const helped = before === undefined || rate > before.rate * (1 + settings.gain);
  // This thread was the limit: what helped stays, nothing more is added (before may be the smaller count).
  if (busy >= CPU_BOUND) return { kind: 'settle', at: helped ? count : before.count };
  // Connections that each kept nearly their whole rate are capped one by one (not sharing one limit): the
  // next step goes to four times the count, so a capped server reaches the maximum one window sooner.
  const independent = before !== undefined && rate >= before.rate * (count / before.count) * LINEAR_SCALING;
  const grown = Math.min(settings.max, count * (independent ? 4 : 2));
  if (helped) return grown > count ? { kind: 'grow', to: grown } : { kind: 'settle', at: count };
  // Less than a clear gain gives the added connections back: each costs CPU (its own TLS stream to decrypt on
  // the one main thread), which a gain within measurement noise does not pay for.
  return { kind: 'settle', at: before.count };
}

/**
 * The live controller: told when connections start delivering and how many bytes arrive; a window starts once
 * every connection of the current count has delivered its first bytes (a connection still in its handshake
 * would make the rate look worse than it is). `target` is the count the transfer should run now.
 */
export class ConnectionRamp {
  target = 1;
  settled: boolean;
  private waitingForFirstBytes = 1;
  private windowStart: number | undefined;
  private windowBytes = 0;
  private lastArrival = 0;
  /** The first and the latest chunk of the window that came after a silence, and the window's bytes before each. */
  private firstBurst: { at: number; bytesBefore: number } | undefined;
  private lastBurst: { at: number; bytesBefore: number } | undefined;
  private before: { count: number; rate: number } | undefined;
  /** The last verdict's measurement (bytes per second with `count` connections), for the log. */
  lastWindow: { count: number; rate: number; busy?: number } | undefined;
  private retestAt: number | undefined;
  private retestDelay: number;
  /** The first connection's latest window while it may still be warming up; null once its rate held. */
  private warming: number | undefined | null;
  /** The best rate measured lately with each count. */
  private best = new Map<number, { rate: number; at: number }>();

  /** Reads how busy this thread was since the window started. */
  private windowBusy: (() => number) | undefined;

  constructor(
    private readonly settings: RampSettings,
    private readonly now: () => number = Date.now,
    private readonly busyMeter: BusyMeter = eventLoopBusy,
  ) {
    this.settled = settings.max <= 1;
    this.retestDelay = settings.retestMs;
  }

  /** Settled below the maximum: the count will be tried again (the caller keeps calling tick). */
  get retesting(): boolean {
    return this.retestAt !== undefined;
  }

  /** A connection the ramp asked for delivered its first bytes (or ended without any: it will not). */
  connectionDelivering(): void {
    if (this.waitingForFirstBytes > 0 && --this.waitingForFirstBytes === 0) this.startWindow();
  }

  /**
   * A rate-capping server sends in bursts (nginx's limit_rate: 512 KiB every 26 ms at 20 MB/s), and a window of
   * a few tens of ms that starts with a burst (as the first does: a response starts with one, bigger when its
   * bytes waited to be read) and ends inside another counts a burst or two too many: +50% and more for one
   * connection, enough to make a second connection look like no gain. So a window that saw bursts start is
   * measured from the first start to the latest: whole periods only. A steady stream has no silences and is
   * measured from its first byte to its last.
   */
  received(bytes: number): void {
    if (this.settled) return;
    if (this.windowStart !== undefined) {
      const now = this.now();
      if (now - this.lastArrival >= BURST_GAP_MS) {
        this.lastBurst = { at: now, bytesBefore: this.windowBytes };
        this.firstBurst ??= this.lastBurst;
      }
      this.lastArrival = now;
    }
    this.windowBytes += bytes;
  }

  /**
   * Called as bytes arrive, and every few tens of ms (`quiet`: by a timer, which only ends a window that no bytes
   * end: judged between two bursts, a window would count the last one but not the silence after it); returns
   * true when a window ended (a verdict: `target` may have changed).
   */
  tick(quiet = false): boolean {
    if (this.settled) {
      // One short window misjudged (a stall of this process under load reads as a slow network) would otherwise
      // hold for the rest of the file: 13 s instead of 2 for 256 MiB from a server capping each connection. So
      // the settled count is measured again, and more tried, as at the start.
      if (this.retestAt === undefined || this.now() < this.retestAt) return false;
      this.settled = false;
      this.retestAt = undefined;
      this.before = undefined;
      this.startWindow();
      return false;
    }
    if (this.windowStart === undefined) return false;
    const elapsed = this.now() - this.windowStart;
    if (elapsed < (quiet ? this.settings.maxWindowMs : this.settings.minWindowMs)) return false;
    if (this.windowBytes < this.settings.minWindowBytes && elapsed < this.settings.maxWindowMs) return false;
    // Bursts measured over half a window at least; a bursty window waits for the next start (up to a second
    // window's length: a steady stream that stalled once under load has a single 'burst' and no period).
    const first = this.firstBurst;
    const last = this.lastBurst;
    const periods = first !== undefined && last !== undefined && last.at - first.at >= this.settings.minWindowMs / 2;
    if (first !== undefined && !periods && !quiet && elapsed < 2 * this.settings.minWindowMs) return false;
    const rate = periods ? ((last.bytesBefore - first.bytesBefore) * 1000) / (last.at - first.at) : (this.windowBytes * 1000) / elapsed;
    const busy = this.windowBusy?.();
    this.lastWindow = { count: this.target, rate, busy };
    this.remember(this.target, rate);
    // A fresh connection warms up: TCP opens its window and the data path's code gets optimized. Measured here on
    // loopback, one connection read 106-322 MiB/s in its first 100 ms and ~950 MiB/s from 150 ms on, so a second
    // connection, judged against that first window, looked like a +70% gain where it was none (and the file took
    // 2.1 s instead of 1.5). So the first connection of a steady stream is measured again until its rate stops
    // rising by more than the gain. A paced one (bursts and silences: the server sets the rate) is not: one more
    // window cost the capped-server bench 60 ms, and aria2c -x8 its lead.
    if (periods) this.warming = null;
    if (this.warming !== null && this.before === undefined) {
      const rising = this.warming === undefined || rate > this.warming * (1 + this.settings.gain);
      if (rising) {
        this.warming = rate;
        this.startWindow();
        return true;
      }
      this.warming = null;
    }
    const step = nextStep(this.settings, this.target, rate, this.baseline(), busy);
    if (step.kind === 'settle') {
      this.settled = true;
      this.target = step.at;
      if (step.at < this.settings.max) {
        this.retestAt = this.now() + this.retestDelay;
        this.retestDelay *= 2;
      }
      return true;
    }
    this.before = { count: this.target, rate };
    this.waitingForFirstBytes = step.to - this.target;
    this.target = step.to;
    this.windowStart = undefined;
    return true;
  }

  /** Fewer connections can start than asked (not enough pieces left): the window does not wait for the rest. */
  connectionsUnavailable(count: number): void {
    for (let i = 0; i < count; i++) this.connectionDelivering();
  }

  private remember(count: number, rate: number): void {
    const known = this.best.get(count);
    if (known === undefined || rate >= known.rate || this.now() - known.at > RECENT_MS) this.best.set(count, { rate, at: this.now() });
  }

  /**
   * What an addition is judged against: the best recent rate of the count before it, not only the window just
   * before. On loopback here, a retest's one-connection window read 400-417 MiB/s where the same connection had
   * just read 640-716, and two connections (560-607) then looked like a +40% gain: the file went to two and four
   * connections, and took 2.2-3.0 s instead of 1.6-1.8. A rate-capped connection reads the same in every window,
   * so this changes nothing there.
   */
  private baseline(): { count: number; rate: number } | undefined {
    if (this.before === undefined) return undefined;
    const known = this.best.get(this.before.count);
    const recent = known !== undefined && this.now() - known.at <= RECENT_MS ? known.rate : 0;
    return { count: this.before.count, rate: Math.max(this.before.rate, recent) };
  }

  private startWindow(): void {
    this.windowBusy = this.busyMeter();
    this.windowStart = this.lastArrival = this.now();
    this.windowBytes = 0;
    this.firstBurst = this.lastBurst = undefined;
  }
}
