// The job store: one JSON file per job (jobs/<id>.json), each replaced atomically, so a crash or a bad file
// costs at most that one job, and a bad file is set aside with a clear reason instead of taking the rest down.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Codes, ErrorContext, fileSystemError, type FileSystemAdvice } from '../errors';
import type { JobRecord, StoreProblem } from '../model/job';
import { ATOMIC_TEMP_MARK, writeAtomically } from './atomic-file';
import { MAX_JOB_FILE_BYTES, parseStoredJob, StoreFormatError, STORE_VERSION } from './job-format';

/** What to do when the store folder cannot be read or written. */
export const STORE_ADVICE: FileSystemAdvice = {
  denied: 'Make the store folder writable, or choose a store folder you can write to.',
  full: "Free some space on the store folder's disk, or choose a store folder on another disk.",
  other: 'Choose a store folder you can write to.',
};

/** A reason read from a hostile file, made safe to print: no control characters, bounded length. */
function printable(reason: string, max = 300): string {
  const clean = reason.replace(/\p{Cc}/gu, '?');
  return clean.length > max ? `${clean.slice(0, max)}...` : clean;
}

export type StoreLog = (level: 'info' | 'warn' | 'error', message: string) => void;

export interface LoadedStore {
  store: JobStore;
  jobs: JobRecord[];
  problems: StoreProblem[];
}

/**
 * A coalesced write waits at least this many times as long as serializing the job took the last time, so the store
 * takes about 1 % of the main thread at most, whatever the job's size: a job of 1,000 files takes ~4 ms to
 * serialize (434 KB), so it is written about every 0.4 s while it transfers, not every 250 ms.
 */
const COST_SPREAD = 100;
/** ...but never later than this: a crash loses at most this much progress (those files are fetched again). */
const MAX_COALESCE_MS = 5000;

/** The delay of a coalesced write: `base`, or longer for a job whose last serialization took `lastCostMs`. */
export function coalescingDelay(base: number, lastCostMs: number): number {
  return Math.max(base, Math.min(MAX_COALESCE_MS, Math.round(lastCostMs * COST_SPREAD)));
}

export interface JobStoreOptions {
  /** Delay that coalesces progress writes of one job (state changes are written at once). */
  coalesceMs?: number;
  log?: StoreLog;
}

export class JobStore {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly latest = new Map<string, () => JobRecord>();
  /** One write at a time per job, in order, so an older record never lands after a newer one. */
  private readonly chains = new Map<string, Promise<void>>();
  private readonly removed = new Set<string>();
  /** Milliseconds the job's last serialization took (see coalescingDelay). */
  private readonly costs = new Map<string, number>();

  private constructor(
    readonly folder: string,
    private readonly coalesceMs: number,
    private readonly log: StoreLog,
  ) {}

  /** Reads every job file; unreadable ones are set aside and reported, the rest load. Never throws for a bad file. */
  static async open(storeDir: string, options: JobStoreOptions = {}): Promise<LoadedStore> {
    const log = options.log ?? (() => undefined);
    const folder = path.join(storeDir, 'jobs');
    let names: string[];
    try {
      await fs.mkdir(folder, { recursive: true });
      names = await fs.readdir(folder);
    } catch (err) {
      throw fileSystemError(err, `Opening the job store folder ${folder}`, ErrorContext.GENERAL_QUEUE_MANAGER, STORE_ADVICE);
    }
    const store = new JobStore(folder, options.coalesceMs ?? 250, log);
    const jobs: JobRecord[] = [];
    const problems: StoreProblem[] = [];
    for (const name of names.sort()) {
      const file = path.join(folder, name);
      if (name.includes(ATOMIC_TEMP_MARK)) {
        // A write that a crash interrupted; the job's previous file is intact beside it. A read-only store keeps it.
        await fs.rm(file, { force: true }).catch(() => undefined);
        continue;
      }
      if (!name.endsWith('.json')) continue;
      const problem = await store.loadOne(file, name.slice(0, -'.json'.length), jobs);
      if (problem) {
        problems.push(problem);
        log('error', `[Store] ${problem.message}`);
      }
    }
    return { store, jobs, problems };
  }

  private async loadOne(file: string, id: string, into: JobRecord[]): Promise<StoreProblem | undefined> {
    try {
      // Checked before reading: a huge file is not a job this product wrote, and reading it could exhaust memory.
      if ((await fs.stat(file)).size > MAX_JOB_FILE_BYTES) throw new StoreFormatError(`larger than ${MAX_JOB_FILE_BYTES} bytes`);
      into.push(parseStoredJob(await fs.readFile(file, 'utf8'), id));
      return undefined;
    } catch (err) {
      const reason = printable(err instanceof Error ? err.message : String(err));
      if (err instanceof StoreFormatError && err.tooNew) {
        // Left in place: the newer version that wrote it can still read it after an upgrade.
        return {
          file,
          code: Codes.MD_E_STORE_TOO_NEW,
          message: `Job file ${file} was written by a newer version of Managed Downloads (${reason}); it was left untouched and not loaded. Update Managed Downloads to see this job.`,
        };
      }
      const movedTo = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      let where = `set aside as ${movedTo}`;
      try {
        await fs.rename(file, movedTo);
      } catch (renameErr) {
        where = `could not be set aside (${(renameErr as Error).message}) and was skipped`;
      }
      return {
        file,
        movedTo: where.startsWith('set aside') ? movedTo : undefined,
        code: Codes.MD_E_STORE_UNREADABLE,
        message: `Job file ${file} could not be read (${reason}); it was ${where}. The other jobs loaded normally.`,
      };
    }
  }

  private fileOf(id: string): string {
    return path.join(this.folder, `${id}.json`);
  }

  /**
   * Records that the job changed; the write happens once, with the newest state, within coalesceMs (longer for a
   * large job, see coalescingDelay).
   */
  save(id: string, snapshot: () => JobRecord): void {
    if (this.removed.has(id)) return;
    this.latest.set(id, snapshot);
    if (this.timers.has(id)) return;
    const timer = setTimeout(
      () => {
        this.timers.delete(id);
        this.enqueueWrite(id).catch((err: unknown) => this.log('error', `[Store] could not save job ${id}: ${(err as Error).message}`));
      },
      coalescingDelay(this.coalesceMs, this.costs.get(id) ?? 0),
    );
    timer.unref();
    this.timers.set(id, timer);
  }

  /** Writes the job now (and drops a pending coalesced write); resolves once the file is durable. */
  saveNow(id: string, snapshot: () => JobRecord): Promise<void> {
    if (this.removed.has(id)) return Promise.resolve();
    this.latest.set(id, snapshot);
    const timer = this.timers.get(id);
    if (timer) {
      clearTimeout(timer);
      this.timers.delete(id);
    }
    return this.enqueueWrite(id);
  }

  private enqueueWrite(id: string): Promise<void> {
    const previous = this.chains.get(id) ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(async () => {
        const snapshot = this.latest.get(id);
        if (!snapshot || this.removed.has(id)) return;
        const file = this.fileOf(id);
        const started = performance.now();
        const text = JSON.stringify({ version: STORE_VERSION, job: snapshot() }, null, 1);
        this.costs.set(id, performance.now() - started);
        await writeAtomically(file, text).catch((err: unknown) => {
          throw fileSystemError(err, `Saving job ${id} to ${file}`, ErrorContext.GENERAL_QUEUE_MANAGER, STORE_ADVICE);
        });
      });
    this.chains.set(id, next);
    void next
      .catch(() => undefined)
      .then(() => {
        if (this.chains.get(id) === next) this.chains.delete(id);
      });
    return next;
  }

  /** Deletes the job's file; later saves of that id are ignored. */
  async remove(id: string): Promise<void> {
    this.removed.add(id);
    this.costs.delete(id);
    const timer = this.timers.get(id);
    if (timer) clearTimeout(timer);
    this.timers.delete(id);
    await (this.chains.get(id) ?? Promise.resolve()).catch(() => undefined);
    await fs.rm(this.fileOf(id), { force: true });
  }

  /** Writes every pending change now (used on dispose). */
  async flush(): Promise<void> {
    const pending = [...this.timers.keys()];
    for (const id of pending) {
      clearTimeout(this.timers.get(id));
      this.timers.delete(id);
      this.enqueueWrite(id).catch((err: unknown) => this.log('error', `[Store] could not save job ${id}: ${(err as Error).message}`));
    }
    await Promise.all([...this.chains.values()].map((p) => p.catch(() => undefined)));
  }
}
