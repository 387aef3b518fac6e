// One engine per store: a lease file in the store says who runs its jobs. Leases are numbered (lease-<n>.json);
// a new holder creates the next number with a hard link, which fails if the file exists, so of two processes
// that both find the lease expired exactly one wins. The holder rewrites its file (atomically) every few
// seconds; a lease whose heartbeat is older than its time-to-live, or whose holder process is gone (same host),
// may be taken. A holder that finds a higher number than its own has lost the lease and must stop at once.
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
}

export interface LeaseOptions {
  /** A lease not renewed for this long is expired. */
  ttlMs?: number;
  /** How often the holder renews (and a waiter retries). */
  renewMs?: number;
  label?: string;
  log?: (level: 'info' | 'warn', message: string) => void;
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
  if (v.generation !== generation || !short(v.holder) || !count(v.pid) || !short(v.host) || !count(v.heartbeat) || !count(v.ttlMs)) return undefined;
  if (v.released !== undefined && typeof v.released !== 'boolean') return undefined;
  if (v.ttlMs > MAX_TTL_MS) return undefined;
  if (v.label !== undefined && !short(v.label)) return undefined;
  // A heartbeat further ahead than one time-to-live is not a clock a little off: it would hold the store forever.
  if (v.heartbeat > Date.now() + v.ttlMs + 60_000) return undefined;
  return v as unknown as LeaseInfo;
}
const DEFAULT_TTL_MS = 10_000;

export class StoreLease {
  readonly id = randomUUID();
  private generation: number | undefined;
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

  get held(): boolean {
    return this.generation !== undefined;
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
    if (this.disposed) return false;
    if (this.held) return true;
    await fs.mkdir(this.storeDir, { recursive: true });
    const current = await this.current();
    if (current && !this.isExpired(current)) return false;
    const generation = (current?.generation ?? (await this.highestGeneration())) + 1;
    const info = this.infoFor(generation);
    const temp = path.join(this.storeDir, `.lease-${this.id}.tmp`);
    try {
      await fs.writeFile(temp, JSON.stringify(info));
      await fs.link(temp, this.fileOf(generation));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    } finally {
      await fs.rm(temp, { force: true }).catch(() => undefined);
    }
    this.generation = generation;
    this.options.log?.('info', `[Lease] holding the store ${this.storeDir} (lease ${generation}${current ? `, taken over from pid ${current.pid} on ${current.host}` : ''})`);
    await this.removeOlder(generation);
    this.schedule();
    return true;
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
    try {
      const text = await fs.readFile(this.fileOf(generation), 'utf8');
      const info = text.length <= MAX_LEASE_CHARS ? leaseInfoOf(JSON.parse(text), generation) : undefined;
      if (info) return info;
    } catch {
      // Being replaced or cut short by a crash during the link: handled below.
    }
    // Unreadable, or not what a holder writes: treated as an expired lease of that number, so it cannot block the store.
    return { generation, holder: '?', pid: 0, host: '?', heartbeat: 0, ttlMs: 0 };
  }

  isExpired(info: LeaseInfo, now = Date.now()): boolean {
    if (info.released) return true;
    if (now - info.heartbeat > info.ttlMs) return true;
    return info.host === hostname() && info.pid !== process.pid && !processAlive(info.pid);
  }

  private infoFor(generation: number): LeaseInfo {
    return { generation, holder: this.id, pid: process.pid, host: hostname(), heartbeat: Date.now(), ttlMs: this.ttlMs, label: this.options.label };
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
    this.timer = setTimeout(() => void this.tick(), this.renewMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      if (this.held) await this.renew();
      else if (await this.tryAcquire()) this.acquiredEmitter.fire(this.infoFor(this.generation!));
    } catch (err) {
      this.options.log?.('warn', `[Lease] ${(err as Error).message}`);
    }
    this.schedule();
  }

  private async renew(): Promise<void> {
    const mine = this.generation!;
    const highest = await this.highestGeneration();
    if (highest !== mine) {
      // Someone judged us dead (we were paused past the time-to-live) and took over: let go without a write.
      this.generation = undefined;
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
    this.generation = undefined;
    if (mine !== undefined && (await this.highestGeneration()) === mine) {
      await writeAtomically(this.fileOf(mine), JSON.stringify({ ...this.infoFor(mine), released: true })).catch(() => undefined);
    }
    this.acquiredEmitter.dispose();
    this.lostEmitter.dispose();
  }
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
