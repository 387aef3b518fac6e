// A read-only view of a store that another process runs: the job files, re-read when they change, with the
// same change events an engine fires. It never writes, renames or deletes anything in the store (a half-written
// file of the holder is simply skipped until the next look).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Emitter, type Event } from '../event';
import type { JobChangeEvent, JobRecord } from '../model/job';
import { MAX_JOB_FILE_BYTES, parseStoredJob } from './job-format';

interface Seen {
  mtimeMs: number;
  size: number;
  record: JobRecord;
}

export class StoreView {
  private readonly jobs = new Map<string, Seen>();
  /** Files that did not parse, by their mtime and size when they were read. */
  private readonly refused = new Map<string, { mtimeMs: number; size: number }>();
  private readonly emitter = new Emitter<JobChangeEvent>();
  readonly onDidChangeJob: Event<JobChangeEvent> = this.emitter.event;
  private timer: NodeJS.Timeout | undefined;
  private reloading: Promise<void> | undefined;

  constructor(
    readonly storeDir: string,
    private readonly pollMs = 1000,
  ) {}

  /** Reads the store now, then keeps re-reading it every pollMs. */
  async start(): Promise<void> {
    await this.reload();
    this.schedule();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  records(): JobRecord[] {
    return [...this.jobs.values()].map((s) => s.record);
  }

  get(id: string): JobRecord | undefined {
    return this.jobs.get(id)?.record;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      void this.reload().finally(() => {
        if (this.timer) this.schedule();
      });
    }, this.pollMs);
    this.timer.unref();
  }

  /** Re-reads the changed job files and fires created / state / progress / modified / removed. */
  reload(): Promise<void> {
    this.reloading ??= this.reloadNow().finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  private async reloadNow(): Promise<void> {
    const folder = path.join(this.storeDir, 'jobs');
    const names = (await fs.readdir(folder).catch(() => [] as string[])).filter((n) => /^[^.]+\.json$/.test(n));
    const present = new Set<string>();
    for (const name of names) {
      const id = name.slice(0, -'.json'.length);
      const file = path.join(folder, name);
      const stat = await fs.stat(file).catch(() => undefined);
      if (!stat) continue;
      present.add(id);
      const seen = this.jobs.get(id);
      if (seen && seen.mtimeMs === stat.mtimeMs && seen.size === stat.size) continue;
      const refused = this.refused.get(id);
      if (refused && refused.mtimeMs === stat.mtimeMs && refused.size === stat.size) continue;
      let record: JobRecord;
      try {
        if (stat.size > MAX_JOB_FILE_BYTES) throw new Error('too large');
        record = parseStoredJob(await fs.readFile(file, 'utf8'), id);
        this.refused.delete(id);
      } catch {
        // Unreadable here is the holder's business (it sets such files aside); keep what we had, and do not read
        // the same bad file again at every poll.
        this.refused.set(id, { mtimeMs: stat.mtimeMs, size: stat.size });
        continue;
      }
      this.jobs.set(id, { mtimeMs: stat.mtimeMs, size: stat.size, record });
      if (!seen) this.emitter.fire({ kind: 'created', job: structuredClone(record) });
      else if (seen.record.state !== record.state)
        this.emitter.fire({ kind: 'state', job: structuredClone(record), previousState: seen.record.state });
      else if (transferredOf(seen.record) !== transferredOf(record)) this.emitter.fire({ kind: 'progress', job: structuredClone(record) });
      else this.emitter.fire({ kind: 'modified', job: structuredClone(record) });
    }
    for (const [id, seen] of this.jobs) {
      if (present.has(id)) continue;
      this.jobs.delete(id);
      this.emitter.fire({ kind: 'removed', job: structuredClone(seen.record) });
    }
  }

  dispose(): void {
    this.stop();
    this.emitter.dispose();
  }
}

function transferredOf(record: JobRecord): number {
  return record.files.reduce((sum, f) => sum + f.bytesTransferred, 0);
}
