// The download history: every job that finished (completed or cancelled), kept after it leaves the Jobs
// list so a person can download it again or copy its URL, the way a browser's download history works.
// Recorded when the job reaches its final state, not when it is cleared: the engine drops finished jobs from
// its list on the next start, so a job that finished before a reload would otherwise be lost.
// Bounded (entries and files per entry) because it lives in VS Code's workspace state, which is read whole.
// Pure (no vscode import): the storage is anything with Memento's get/update.
import { Emitter, type Disposable as IDisposable, type Event } from '../core/event';
import { Disposable } from '../core/lifecycle';
import { JobState, type JobSnapshot } from '../core/model/job';
import { isFinal } from './jobActions';
import type { JobsModel } from './jobsModel';

export const MAX_HISTORY_ENTRIES = 200;
export const MAX_FILES_PER_ENTRY = 1000;
/** The key in the workspace state (versioned: a later shape gets a new key instead of misreading this one). */
export const HISTORY_STATE_KEY = 'managedDownloads.history.v1';

export interface HistoryFile {
  remoteUrl: string;
  localPath: string;
  /** Whole bytes, or null when the server never said. */
  bytes: number | null;
  /** The file was kept at localPath when the job completed. */
  delivered: boolean;
}

export interface HistoryEntry {
  /** The job's id (unique: one entry per job). */
  jobId: string;
  displayName: string;
  outcome: 'completed' | 'cancelled';
  /** ISO time the job finished. */
  finishedAt: string;
  files: HistoryFile[];
  /** Files left out to keep the entry small (a job of more than MAX_FILES_PER_ENTRY files). */
  omittedFiles: number;
}

/** What the history needs of its storage: VS Code's Memento (workspaceState) fits. */
export interface HistoryStorage {
  get(key: string): unknown;
  update(key: string, value: unknown): Thenable<void> | Promise<void>;
}

/** The entry of a job in its final state, or undefined when the job has not finished. */
export function entryFromJob(job: JobSnapshot, finishedAt: string): HistoryEntry | undefined {
  if (!isFinal(job.state)) return undefined;
  const completed = job.state === JobState.ACKNOWLEDGED;
  return {
    jobId: job.id,
    displayName: job.displayName,
    outcome: completed ? 'completed' : 'cancelled',
    finishedAt,
    files: job.files.slice(0, MAX_FILES_PER_ENTRY).map((f) => ({
      remoteUrl: f.remoteUrl,
      localPath: f.localPath,
      bytes: f.bytesTotal,
      delivered: completed && f.transferred,
    })),
    omittedFiles: Math.max(0, job.files.length - MAX_FILES_PER_ENTRY),
  };
}

/** `entries` with `entry` first (replacing an older entry of the same job), cut to `max`. */
export function withEntry(entries: readonly HistoryEntry[], entry: HistoryEntry, max = MAX_HISTORY_ENTRIES): HistoryEntry[] {
  return [entry, ...entries.filter((e) => e.jobId !== entry.jobId)].slice(0, Math.max(0, max));
}

function isHistoryFile(value: unknown): value is HistoryFile {
  if (!value || typeof value !== 'object') return false;
  const f = value as Record<string, unknown>;
  return (
    typeof f.remoteUrl === 'string' &&
    typeof f.localPath === 'string' &&
    (f.bytes === null || (typeof f.bytes === 'number' && Number.isFinite(f.bytes))) &&
    typeof f.delivered === 'boolean'
  );
}

function isHistoryEntry(value: unknown): value is HistoryEntry {
  if (!value || typeof value !== 'object') return false;
  const e = value as Record<string, unknown>;
  return (
    typeof e.jobId === 'string' &&
    typeof e.displayName === 'string' &&
    (e.outcome === 'completed' || e.outcome === 'cancelled') &&
    typeof e.finishedAt === 'string' &&
    typeof e.omittedFiles === 'number' &&
    Array.isArray(e.files) &&
    e.files.every(isHistoryFile)
  );
}

/** What the storage holds, keeping only well-formed entries (a damaged state loses those, never the view). */
export function parseHistory(stored: unknown, max = MAX_HISTORY_ENTRIES): HistoryEntry[] {
  if (!Array.isArray(stored)) return [];
  const seen = new Set<string>();
  const entries: HistoryEntry[] = [];
  for (const value of stored) {
    if (!isHistoryEntry(value) || seen.has(value.jobId)) continue;
    seen.add(value.jobId);
    entries.push({ ...value, files: value.files.slice(0, MAX_FILES_PER_ENTRY) });
    if (entries.length >= max) break;
  }
  return entries;
}

export class DownloadHistory extends Disposable {
  private entries: HistoryEntry[];
  private readonly changeEmitter = this._register(new Emitter<void>());
  /** Writes in order, so the last one stored is the newest list. */
  private writing: Promise<void> = Promise.resolve();

  readonly onDidChange: Event<void> = this.changeEmitter.event;

  constructor(
    private readonly storage: HistoryStorage,
    private readonly max = MAX_HISTORY_ENTRIES,
  ) {
    super();
    this.entries = parseHistory(storage.get(HISTORY_STATE_KEY), max);
  }

  /** Newest first. */
  list(): readonly HistoryEntry[] {
    return this.entries;
  }

  get(jobId: string): HistoryEntry | undefined {
    return this.entries.find((e) => e.jobId === jobId);
  }

  /** Records a job that reached its final state; a job still running is ignored. Returns whether it was recorded. */
  record(job: JobSnapshot, finishedAt = new Date().toISOString()): boolean {
    const entry = entryFromJob(job, finishedAt);
    if (!entry) return false;
    this.set(withEntry(this.entries, entry, this.max));
    return true;
  }

  remove(jobIds: readonly string[]): HistoryEntry[] {
    const drop = new Set(jobIds);
    const removed = this.entries.filter((e) => drop.has(e.jobId));
    if (removed.length) this.set(this.entries.filter((e) => !drop.has(e.jobId)));
    return removed;
  }

  clear(): number {
    const count = this.entries.length;
    if (count) this.set([]);
    return count;
  }

  /** Resolves once everything changed so far is in the storage. */
  whenStored(): Promise<void> {
    return this.writing;
  }

  private set(entries: HistoryEntry[]): void {
    this.entries = entries;
    const snapshot = entries;
    // A failed write keeps the history in memory for this window; the next change writes it again.
    this.writing = this.writing.then(() => Promise.resolve(this.storage.update(HISTORY_STATE_KEY, snapshot))).catch(() => undefined);
    this.changeEmitter.fire();
  }
}

/** Records every job of `model` that reaches its final state (each once: a later event replaces the entry). */
export function recordFinishedJobs(model: JobsModel, history: DownloadHistory): IDisposable {
  return model.onDidChange((change) => {
    for (const e of change.events) {
      if (e.kind === 'state') history.record(e.job);
    }
  });
}
