// One engine per store: a lease file in the store says who runs its jobs. Leases are numbered (lease-<n>.json);
// a new holder creates the next number with a hard link, which fails if the file exists, so of two processes
// that both find the lease expired exactly one wins. The holder rewrites its file (atomically) every few
// seconds; a lease whose heartbeat is older than its time-to-live, or whose holder process is gone (same host),
// may be taken. A holder that finds a higher number than its own has lost the lease and must stop at once.
// A holder that is alive but takes no work (its window's secret store never answers) can be taken over while
// its heartbeat is fresh (takeOver): the taker writes the next number marked `takenFrom`, and only runs jobs once
// the old holder has said it stopped (its file marked released, after its engine closed) or its heartbeat
// expired, so two engines never run the store's jobs at once.
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { Emitter, type Event } from '../event';
import { ErrorContext, fileSystemError } from '../errors';
import { writeAtomically } from './atomic-file';
import { STORE_ADVICE } from './job-store';

export interface LeaseInfo {
  generation: number;
  holder: string;
  pid: number;
  host: string;
  /** Epoch ms of the last renewal. */
  heartbeat: number;
  ttlMs: number;
  /** Set when the holder let go on purpose (the next one may take it at once). */
  released?: boolean;
  /** Shown to others ("VS Code window", "CLI run"). */
  label?: string;
  /** The holder runs commands other processes put in the store's command queue (a VS Code window does; a CLI does not). */
  takesCommands?: boolean;
  /** Set while this holder waits for the live holder of that lease number to stop (takeOver). */
  takenFrom?: number;
}

export interface LeaseOptions {
  /** A lease not renewed for this long is expired. */
  ttlMs?: number;
  /** How often the holder renews (and a waiter retries). */
  renewMs?: number;
  label?: string;
  /** Written into the lease: this holder serves the store's command queue. */
  takesCommands?: boolean;
  log?: (level: 'info' | 'warn', message: string) => void;
  /** False while this process must not run jobs (its window is gone): it neither takes nor waits for the lease. */
  mayHold?: () => boolean;
}

const LEASE_FILE = /^lease-(\d+)\.json$/;
/** A holder writes a few hundred characters; the label is shown in messages, so it is bounded too. */
const MAX_LEASE_CHARS = 4096;
const MAX_LABEL = 200;
/** Holders use seconds (10 s by default); a lease file claiming more would keep the store from everyone. */
const MAX_TTL_MS = 10 * 60_000;

/** The lease as its holder wrote it, or undefined when any field is not what a holder writes. */
function leaseInfoOf(value: unknown, generation: number): LeaseInfo | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const count = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  const short = (s: unknown): s is string => typeof s === 'string' && s.length <= MAX_LABEL && !/\p{Cc}/u.test(s);
  if (v.generation !== generation || !short(v.holder) || !count(v.pid) || !short(v.host) || !count(v.heartbeat) || !count(v.ttlMs))
    return undefined;
  if (v.released !== undefined && typeof v.released !== 'boolean') return undefined;
  if (v.ttlMs > MAX_TTL_MS) return undefined;
  if (v.label !== undefined && !short(v.label)) return undefined;
  if (v.takesCommands !== undefined && typeof v.takesCommands !== 'boolean') return undefined;
  if (v.takenFrom !== undefined && (!count(v.takenFrom) || v.takenFrom >= generation)) return undefined;
  // A heartbeat further ahead than one time-to-live is not a clock a little off: it would hold the store forever.
  if (v.heartbeat > Date.now() + v.ttlMs + 60_000) return undefined;
  return v as unknown as LeaseInfo;
}
const DEFAULT_TTL_MS = 10_000;

export class StoreLease {
  readonly id = randomUUID();
  private generation: number | undefined;
  /** The lease number this process took over from a live holder, until that holder says it stopped. */
  private pendingFrom: number | undefined;
  /** The number this process held when it lost the lease; its file is marked released once the engine stopped. */
  private lostGeneration: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private disposed = false;
  private readonly ttlMs: number;
  private readonly renewMs: number;
  private readonly acquiredEmitter = new Emitter<LeaseInfo>();
  private readonly lostEmitter = new Emitter<LeaseInfo | undefined>();
  /** This process now holds the lease (after waiting for it). */
  readonly onDidAcquire: Event<LeaseInfo> = this.acquiredEmitter.event;
  /** This process held the lease and lost it (another took it): stop running jobs now. */
  readonly onDidLose: Event<LeaseInfo | undefined> = this.lostEmitter.event;

  constructor(
    readonly storeDir: string,
    private readonly options: LeaseOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
    this.renewMs = options.renewMs ?? Math.max(50, Math.floor(this.ttlMs / 3));
  }

  /** True once this process may run the store's jobs (a take-over counts only after the old holder stopped). */
  get held(): boolean {
    return this.generation !== undefined && this.pendingFrom === undefined;
  }

  private get mayHold(): boolean {
    return this.options.mayHold?.() ?? true;
  }

  /** Takes the lease if it is free or expired; true when this process holds it afterwards. */
  async tryAcquire(): Promise<boolean> {
    try {
      return await this.acquire();
    } catch (err) {
      // A read-only or full store, or a file where the store folder should be: said plainly, with its code.
      throw fileSystemError(err, `Taking the lease of the store ${this.storeDir}`, ErrorContext.GENERAL_QUEUE_MANAGER, STORE_ADVICE);
    }
  }

  private async acquire(): Promise<boolean> {
    if (this.disposed || !this.mayHold) return false;
    if (this.generation !== undefined) return this.held;
    await fs.mkdir(this.storeDir, { recursive: true });
    const current = await this.current();
    if (current && !this.isExpired(current)) return false;
    const generation = (current?.generation ?? (await this.highestGeneration())) + 1;
    if (!(await this.link(this.infoFor(generation)))) return false;
    this.generation = generation;
    this.options.log?.(
      'info',
      `[Lease] holding the store ${this.storeDir} (lease ${generation}${current ? `, taken over from pid ${current.pid} on ${current.host}` : ''})`,
    );
    await this.removeOlder(generation);
    this.schedule();
    return true;
  }

  /**
   * Claims the lease from a holder that renews it but takes no work. The claim wins or loses atomically like
   * tryAcquire; onDidAcquire fires only after the old holder marked its lease released (it stopped its engine) or
   * stopped renewing it. False when another process claimed it first or this one may not hold it.
   */
  async takeOver(): Promise<boolean> {
    if (this.disposed || !this.mayHold) return false;
    if (this.generation !== undefined) return true;
    const current = await this.current();
    if (!current || this.isExpired(current)) return this.tryAcquire();
    // Another taker is already waiting for this holder: it will run the jobs.
    if (current.takenFrom !== undefined) return false;
    try {
      if (!(await this.link({ ...this.infoFor(current.generation + 1), takenFrom: current.generation }))) return false;
    } catch (err) {
      throw fileSystemError(err, `Taking the lease of the store ${this.storeDir}`, ErrorContext.GENERAL_QUEUE_MANAGER, STORE_ADVICE);
    }
    this.generation = current.generation + 1;
    this.pendingFrom = current.generation;
    this.options.log?.(
      'warn',
      `[Lease] ${describe(current)} renews the lease of ${this.storeDir} but takes no work; taking it over once it stops (lease ${this.generation})`,
    );
    this.schedule();
    return true;
  }

  /** Lets go of a held lease (marked released so a waiting process takes it at once) and keeps waiting for it. */
  async release(): Promise<void> {
    const mine = this.generation;
    const pending = this.pendingFrom !== undefined;
    this.generation = undefined;
    this.pendingFrom = undefined;
    // A claim still waiting for the old holder is left to expire (see dispose).
    if (mine !== undefined && !pending) await this.markReleased(mine);
    this.schedule();
  }

  /**
   * Called after onDidLose once this process stopped running jobs: marks the lost lease released, so the process
   * that took it over starts at once instead of waiting for the old heartbeat to expire.
   */
  async confirmStopped(): Promise<void> {
    const lost = this.lostGeneration;
    this.lostGeneration = undefined;
    if (lost === undefined) return;
    // Only while it still exists: the new holder removes it once it runs the jobs.
    if (
      await fs.stat(this.fileOf(lost)).then(
        () => true,
        () => false,
      )
    )
      await this.markReleased(lost, { overwrite: true });
  }

  private async markReleased(generation: number, { overwrite = false } = {}): Promise<void> {
    if (!overwrite && (await this.highestGeneration()) !== generation) return;
    await writeAtomically(this.fileOf(generation), JSON.stringify({ ...this.infoFor(generation), released: true })).catch(() => undefined);
  }

  /** Keeps trying until the lease is free, then holds it (onDidAcquire fires). */
  waitForLease(): void {
    if (this.held || this.disposed) return;
    this.schedule();
  }

  /** The lease in force (the highest number), if any. */
  async current(): Promise<LeaseInfo | undefined> {
    const generation = await this.highestGeneration();
    if (generation === 0) return undefined;
    return (await this.read(generation)) ?? { generation, holder: '?', pid: 0, host: '?', heartbeat: 0, ttlMs: 0 };
  }

  /** The lease of that number as its holder wrote it; undefined when the file is gone. */
  private async read(generation: number): Promise<LeaseInfo | undefined> {
    try {
      const text = await fs.readFile(this.fileOf(generation), 'utf8');
      const info = text.length <= MAX_LEASE_CHARS ? leaseInfoOf(JSON.parse(text), generation) : undefined;
      if (info) return info;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      // Cut short by a crash during the link: handled below.
    }
    // Unreadable, or not what a holder writes: treated as an expired lease of that number, so it cannot block the store.
    return { generation, holder: '?', pid: 0, host: '?', heartbeat: 0, ttlMs: 0 };
  }

  isExpired(info: LeaseInfo, now = Date.now()): boolean {
    if (info.released) return true;
    if (now - info.heartbeat > info.ttlMs) return true;
    return info.host === hostname() && info.pid !== process.pid && !processAlive(info.pid);
  }

  /** Creates the lease file of info.generation; false when another process created it first. */
  private async link(info: LeaseInfo): Promise<boolean> {
    await fs.mkdir(this.storeDir, { recursive: true });
    const temp = path.join(this.storeDir, `.lease-${this.id}.tmp`);
    try {
      await fs.writeFile(temp, JSON.stringify(info));
      await fs.link(temp, this.fileOf(info.generation));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    } finally {
      await fs.rm(temp, { force: true }).catch(() => undefined);
    }
  }

  private infoFor(generation: number): LeaseInfo {
    return {
      generation,
      holder: this.id,
      pid: process.pid,
      host: hostname(),
      heartbeat: Date.now(),
      ttlMs: this.ttlMs,
      label: this.options.label,
      ...(this.options.takesCommands ? { takesCommands: true } : {}),
    };
  }

  private fileOf(generation: number): string {
    return path.join(this.storeDir, `lease-${generation}.json`);
  }

  private async highestGeneration(): Promise<number> {
    let names: string[];
    try {
      names = await fs.readdir(this.storeDir);
    } catch {
      return 0;
    }
    let highest = 0;
    for (const name of names) {
      const m = LEASE_FILE.exec(name);
      if (m) highest = Math.max(highest, Number(m[1]));
    }
    return highest;
  }

  private async removeOlder(generation: number): Promise<void> {
    for (const name of await fs.readdir(this.storeDir).catch(() => [] as string[])) {
      const m = LEASE_FILE.exec(name);
      if (m && Number(m[1]) < generation) await fs.rm(path.join(this.storeDir, name), { force: true });
    }
  }

  private schedule(): void {
    if (this.disposed) return;
    clearTimeout(this.timer);
    // A taker waiting for the old holder to stop looks often: that is the time the jobs stand still.
    this.timer = setTimeout(() => void this.tick(), this.pendingFrom === undefined ? this.renewMs : Math.min(this.renewMs, 100));
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      if (this.pendingFrom !== undefined) {
        if (await this.handedOver()) this.acquiredEmitter.fire(this.infoFor(this.generation!));
      } else if (this.held) await this.renew();
      else if (await this.tryAcquire()) this.acquiredEmitter.fire(this.infoFor(this.generation!));
    } catch (err) {
      this.options.log?.('warn', `[Lease] ${(err as Error).message}`);
    }
    this.schedule();
  }

  /** While taking over: renews the claim, and true once the old holder stopped (released, expired or gone). */
  private async handedOver(): Promise<boolean> {
    const mine = this.generation!;
    const from = this.pendingFrom!;
    if ((await this.highestGeneration()) !== mine) {
      // A third process judged this claim dead and took the store: go back to waiting.
      this.generation = undefined;
      this.pendingFrom = undefined;
      return false;
    }
    await writeAtomically(this.fileOf(mine), JSON.stringify({ ...this.infoFor(mine), takenFrom: from }));
    const old = await this.read(from);
    if (old && !this.isExpired(old)) return false;
    this.pendingFrom = undefined;
    await writeAtomically(this.fileOf(mine), JSON.stringify(this.infoFor(mine)));
    this.options.log?.(
      'info',
      `[Lease] holding the store ${this.storeDir} (lease ${mine}, taken over from lease ${from}, which ${old?.released ? 'stopped' : 'expired'})`,
    );
    await this.removeOlder(mine);
    return true;
  }

  private async renew(): Promise<void> {
    const mine = this.generation!;
    const highest = await this.highestGeneration();
    if (highest !== mine) {
      // Someone judged us dead (paused past the time-to-live) or unresponsive (takeOver) and took over: let go
      // without a write; confirmStopped() says so once the engine has stopped.
      this.generation = undefined;
      this.lostGeneration = mine;
      const winner = await this.current();
      this.options.log?.('warn', `[Lease] lost the store ${this.storeDir} to pid ${winner?.pid} on ${winner?.host}`);
      this.lostEmitter.fire(winner);
      return;
    }
    await writeAtomically(this.fileOf(mine), JSON.stringify(this.infoFor(mine)));
  }

  /** Stops renewing; a held lease is marked released so a waiting process takes it at once. */
  async dispose(): Promise<void> {
    this.disposed = true;
    clearTimeout(this.timer);
    const mine = this.generation;
    const pending = this.pendingFrom !== undefined;
    this.generation = undefined;
    this.pendingFrom = undefined;
    // A claim still waiting for the old holder is left to expire: released, a third process could start while
    // the old holder still runs.
    if (mine !== undefined && !pending) await this.markReleased(mine);
    this.acquiredEmitter.dispose();
    this.lostEmitter.dispose();
  }
}

function describe(info: LeaseInfo): string {
  return `${info.label ?? 'another process'} (pid ${info.pid} on ${info.host})`;
}

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
