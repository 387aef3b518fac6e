// Every unsuccessful certificate check, kept so that a one-off and a flood from one server look different
// (the seed: "a one-off bad certificate is much less concerning than thousands of bad certificates from
// the same server"). JSON lines in the store folder, bounded: when the file grows past twice the limit it
// is rewritten with the newest entries and a summary line that keeps the per-endpoint counts of the rest.
import { promises as fsp, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Emitter, type Event } from '../event';
import { codeName } from '../errors';

/** The rejection log's file name inside a store folder; the extension and the CLI both keep it there. */
export const REJECTION_LOG_FILE = 'certificate-rejections.jsonl';

export function rejectionLogPath(storeDir: string): string {
  return join(storeDir, REJECTION_LOG_FILE);
}

export type RejectionPhase = 'platform' | 'validator' | 'unavailable';

export interface RejectionRecord {
  /** ISO time. */
  time: string;
  jobId: string;
  jobName?: string;
  fileIndex?: number;
  url?: string;
  /** host:port of the origin. */
  endpoint: string;
  certSha256?: string;
  subject?: string;
  issuer?: string;
  phase: RejectionPhase;
  /** HRESULT, unsigned. */
  code: number;
  /** Symbolic name of the code, for people reading the file. */
  codeName: string;
  reason: string;
}

export interface EndpointRejections {
  endpoint: string;
  count: number;
  firstTime: string;
  lastTime: string;
  lastCode: number;
  lastReason: string;
  /** Distinct certificate fingerprints seen rejected (at most MAX_FINGERPRINTS kept). */
  certificates: string[];
  byPhase: Partial<Record<RejectionPhase, number>>;
}

const MAX_FINGERPRINTS = 32;

type Line = { kind: 'rejection'; record: RejectionRecord } | { kind: 'summary'; endpoints: EndpointRejections[] };

export interface RejectionLogOptions {
  /** The JSON-lines file; none keeps the log in memory only. */
  file?: string;
  /** Newest entries kept (default 2,000). Counts per endpoint are kept for all. */
  maxEntries?: number;
}

export class RejectionLog {
  private records: RejectionRecord[] = [];
  private readonly stats = new Map<string, EndpointRejections>();
  private linesOnDisk = 0;
  private writing: Promise<void> = Promise.resolve();
  private readonly maxEntries: number;
  private readonly file?: string;
  private readonly recorded = new Emitter<RejectionRecord>();
  /** Fires for every rejection recorded. */
  readonly onDidRecord: Event<RejectionRecord> = this.recorded.event;
  /** Lines of the file that could not be read when it was opened (kept as they are; never fatal). */
  unreadableLines = 0;

  constructor(options: RejectionLogOptions = {}) {
    this.file = options.file;
    this.maxEntries = Math.max(1, options.maxEntries ?? 2000);
    if (this.file) this.load(this.file);
  }

  private load(file: string): void {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return; // no log yet
    }
    for (const raw of text.split('\n')) {
      if (!raw.trim()) continue;
      this.linesOnDisk++;
      try {
        const line = JSON.parse(raw) as Line;
        if (line.kind === 'summary') for (const s of line.endpoints) this.merge(s);
        else if (line.kind === 'rejection') this.remember(line.record);
        else this.unreadableLines++;
      } catch {
        this.unreadableLines++; // a torn last line after a crash: skip it
      }
    }
  }

  private merge(s: EndpointRejections): void {
    const current = this.stats.get(s.endpoint);
    if (!current) {
      this.stats.set(s.endpoint, { ...s, certificates: [...s.certificates], byPhase: { ...s.byPhase } });
      return;
    }
    current.count += s.count;
    if (s.firstTime < current.firstTime) current.firstTime = s.firstTime;
    if (s.lastTime > current.lastTime) {
      current.lastTime = s.lastTime;
      current.lastCode = s.lastCode;
      current.lastReason = s.lastReason;
    }
    for (const c of s.certificates)
      if (!current.certificates.includes(c) && current.certificates.length < MAX_FINGERPRINTS) current.certificates.push(c);
    for (const [phase, n] of Object.entries(s.byPhase) as [RejectionPhase, number][])
      current.byPhase[phase] = (current.byPhase[phase] ?? 0) + n;
  }

  private remember(record: RejectionRecord): void {
    this.records.push(record);
    if (this.records.length > this.maxEntries) this.records.splice(0, this.records.length - this.maxEntries);
    this.merge({
      endpoint: record.endpoint,
      count: 1,
      firstTime: record.time,
      lastTime: record.time,
      lastCode: record.code,
      lastReason: record.reason,
      certificates: record.certSha256 ? [record.certSha256] : [],
      byPhase: { [record.phase]: 1 },
    });
  }

  record(entry: Omit<RejectionRecord, 'time' | 'codeName'> & { time?: string }): RejectionRecord {
    const record: RejectionRecord = { ...entry, time: entry.time ?? new Date().toISOString(), codeName: codeName(entry.code) };
    this.remember(record);
    this.recorded.fire(record);
    if (this.file) this.persist(record);
    return record;
  }

  /** Newest last. */
  entries(filter: { jobId?: string; endpoint?: string } = {}): RejectionRecord[] {
    return this.records.filter((r) => (!filter.jobId || r.jobId === filter.jobId) && (!filter.endpoint || r.endpoint === filter.endpoint));
  }

  /** Per endpoint, most rejected first. */
  endpoints(): EndpointRejections[] {
    return [...this.stats.values()]
      .map((s) => ({ ...s, certificates: [...s.certificates], byPhase: { ...s.byPhase } }))
      .sort((a, b) => b.count - a.count || (a.lastTime < b.lastTime ? 1 : -1));
  }

  /** Resolves when every record so far is on disk. */
  flush(): Promise<void> {
    return this.writing;
  }

  private persist(record: RejectionRecord): void {
    const file = this.file as string;
    this.writing = this.writing
      .then(async () => {
        await fsp.mkdir(dirname(file), { recursive: true });
        await fsp.appendFile(file, JSON.stringify({ kind: 'rejection', record } satisfies Line) + '\n');
        this.linesOnDisk++;
        if (this.linesOnDisk > 2 * this.maxEntries) await this.compact(file);
      })
      .catch((e: unknown) => {
        // The log is advisory: a full disk must not fail a download; the record stays in memory.
        console.error(`[rejections] could not write ${file}: ${(e as Error).message}`);
      });
  }

  /**
   * Rewrites the file atomically: a summary of what is dropped, then the newest entries. Works from the
   * file itself, not from memory, where records may be ahead of what was appended so far.
   */
  private async compact(file: string): Promise<void> {
    const summary = new RejectionLog();
    const records: RejectionRecord[] = [];
    for (const raw of (await fsp.readFile(file, 'utf8')).split('\n')) {
      if (!raw.trim()) continue;
      try {
        const line = JSON.parse(raw) as Line;
        if (line.kind === 'summary') for (const s of line.endpoints) summary.merge(s);
        else if (line.kind === 'rejection') records.push(line.record);
      } catch {
        // a torn line: dropped
      }
    }
    const cut = Math.max(0, records.length - this.maxEntries);
    for (const r of records.slice(0, cut)) summary.remember(r);
    const endpoints = [...summary.stats.values()];
    const lines = [
      ...(endpoints.length ? [JSON.stringify({ kind: 'summary', endpoints } satisfies Line)] : []),
      ...records.slice(cut).map((record) => JSON.stringify({ kind: 'rejection', record } satisfies Line)),
    ];
    const tmp = `${file}.${process.pid}.tmp`;
    await fsp.writeFile(tmp, lines.join('\n') + '\n');
    await fsp.rename(tmp, file);
    this.linesOnDisk = lines.length;
  }
}
