// The UI's view of the engine's jobs: the latest snapshot and progress of each, plus the jobs that finished
// (completed or cancelled) in this window so a person still sees and can reveal them until they clear them.
// Engine events arrive per job and often; this model batches them into one change per interval, so the tree,
// the badge and the status bar redraw only what changed, and only a few times a second.
// Pure (no vscode import).
import { Emitter, type Event } from '../core/event';
import { Disposable, MutableDisposable, toDisposable } from '../core/lifecycle';
import type { DownloadEngine, JobChangeEvent, JobProgress, JobSnapshot } from '../core/model/job';
import { progressFromFiles } from './format';
import { isFinal } from './jobActions';

export interface JobsChange {
  /** The job list itself changed (a job appeared or went away): redraw the root. */
  structural: boolean;
  /** Jobs whose snapshot or progress changed. */
  changed: string[];
  /** The raw engine events of the batch, in order (notifications need every state transition). */
  events: JobChangeEvent[];
}

export class JobsModel extends Disposable {
  private readonly jobs = new Map<string, JobSnapshot>();
  private readonly progressById = new Map<string, JobProgress>();
  private engine: DownloadEngine | undefined;
  private readonly changeEmitter = this._register(new Emitter<JobsChange>());
  /** The attached engine's events. */
  private readonly subscription = this._register(new MutableDisposable());
  private pending: { structural: boolean; changed: Set<string>; events: JobChangeEvent[] } | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  /** Fires at most once per `throttleMs` with everything that changed since the last time. */
  readonly onDidChange: Event<JobsChange> = this.changeEmitter.event;

  constructor(private readonly throttleMs = 150) {
    super();
    this._register(
      toDisposable(() => {
        if (this.timer) clearTimeout(this.timer);
      }),
    );
  }

  /** Starts following an engine (once it is open): loads its jobs and listens to its events. */
  attach(engine: DownloadEngine): void {
    this.subscription.value = undefined;
    this.engine = engine;
    for (const job of engine.listJobs()) this.store(job);
    this.subscription.value = engine.onDidChangeJob((e) => this.onEngineChange(e));
    this.queue(undefined, true);
  }

  get isAttached(): boolean {
    return this.engine !== undefined;
  }

  /** Newest first, as download lists show them. */
  list(): JobSnapshot[] {
    return [...this.jobs.values()].reverse();
  }

  get(jobId: string): JobSnapshot | undefined {
    return this.jobs.get(jobId);
  }

  progress(jobId: string): JobProgress {
    const known = this.progressById.get(jobId);
    if (known) return known;
    const job = this.jobs.get(jobId);
    return job ? progressFromFiles(job) : { bytesTotal: 0, bytesTransferred: 0, filesTotal: 0, filesTransferred: 0, rate: 0 };
  }

  /** Drops completed and cancelled jobs from the list; returns their ids. */
  clearFinished(): string[] {
    const removed = [...this.jobs.values()].filter((j) => isFinal(j.state)).map((j) => j.id);
    for (const id of removed) this.forget(id);
    if (removed.length) this.queue(undefined, true);
    return removed;
  }

  /** Delivers any batched change now (tests and commands that want the view current at once). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = undefined;
    if (batch) this.changeEmitter.fire({ structural: batch.structural, changed: [...batch.changed], events: batch.events });
  }

  private onEngineChange(e: JobChangeEvent): void {
    const known = this.jobs.has(e.job.id);
    if (e.kind === 'removed') {
      this.forget(e.job.id);
      this.queue(e, true);
      return;
    }
    this.store(e.job);
    this.queue(e, !known);
  }

  private store(job: JobSnapshot): void {
    this.jobs.set(job.id, job);
    let progress: JobProgress;
    try {
      progress = isFinal(job.state) || !this.engine ? progressFromFiles(job) : this.engine.getProgress(job.id);
    } catch {
      // The engine no longer knows the job (it finished and was dropped): its files tell the story.
      progress = progressFromFiles(job);
    }
    this.progressById.set(job.id, progress);
  }

  private forget(jobId: string): void {
    this.jobs.delete(jobId);
    this.progressById.delete(jobId);
  }

  private queue(event: JobChangeEvent | undefined, structural: boolean): void {
    this.pending ??= { structural: false, changed: new Set(), events: [] };
    this.pending.structural ||= structural;
    if (event) {
      this.pending.changed.add(event.job.id);
      this.pending.events.push(event);
    }
    this.timer ??= setTimeout(() => this.flush(), this.throttleMs);
  }
}
