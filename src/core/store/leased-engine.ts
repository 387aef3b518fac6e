// One engine per store, seen from one process: while this process holds the store's lease it runs the real
// engine and answers commands other processes forward; without the lease it shows the store read-only (re-read
// as it changes), forwards the user's verbs to the holder, and opens the real engine the moment the lease
// becomes free or expires. If the lease is ever lost, the real engine is closed at once, so no job is downloaded
// by two processes at the same time.
import { BitsError, Codes, ErrorContext } from '../errors';
import { Emitter, type Disposable, type Event } from '../event';
import { progressOf } from '../jobs/progress';
import {
  JobState,
  type CompleteResult,
  type DownloadEngine,
  type JobChangeEvent,
  type JobPriority,
  type JobProgress,
  type JobPropertiesPatch,
  type JobSnapshot,
  type NewFileOptions,
  type NewJobOptions,
  type StoreProblem,
  type ValidatorSource,
  type ClientCertificateSpec,
} from '../jobs/model';
import { CommandInbox, forwardCommand, type ForwardedVerb } from './command-queue';
import { StoreLease, type LeaseInfo, type LeaseOptions } from './lease';
import { StoreView } from './store-view';

export type StoreRole = 'holder' | 'follower';

/** The real engine (JobEngine has listAllJobs; other DownloadEngines may not). */
export type RunnableEngine = DownloadEngine & { listAllJobs?(): JobSnapshot[] };

export interface LeasedEngineOptions {
  storeDir: string;
  /** Opens the real engine; called only while this process holds the lease. */
  open(): Promise<RunnableEngine>;
  lease?: LeaseOptions;
  /** How often a follower re-reads the store and the holder looks for forwarded commands. */
  pollMs?: number;
  /** A forwarded command not answered in this time fails with MD_E_STORE_IN_USE. */
  forwardTimeoutMs?: number;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

const FINAL = new Set([JobState.ACKNOWLEDGED, JobState.CANCELLED]);

export class LeasedEngine implements DownloadEngine {
  private readonly emitter = new Emitter<JobChangeEvent>();
  readonly onDidChangeJob: Event<JobChangeEvent> = this.emitter.event;
  private readonly roleEmitter = new Emitter<StoreRole>();
  /** This process started or stopped running the store's jobs. */
  readonly onDidChangeRole: Event<StoreRole> = this.roleEmitter.event;
  private engine: RunnableEngine | undefined;
  private engineEvents: Disposable | undefined;
  private inbox: CommandInbox | undefined;
  private view: StoreView | undefined;
  private viewEvents: Disposable | undefined;
  private maxConcurrent: number | undefined;
  private disposed = false;
  /** Serialises role changes (take over, lose) so they never interleave. */
  private switching: Promise<void> = Promise.resolve();

  private constructor(
    private readonly options: LeasedEngineOptions,
    readonly lease: StoreLease,
  ) {}

  static async open(options: LeasedEngineOptions): Promise<LeasedEngine> {
    const lease = new StoreLease(options.storeDir, { ...options.lease, log: options.log });
    const leased = new LeasedEngine(options, lease);
    lease.onDidAcquire(() => leased.switchRole(() => leased.becomeHolder()));
    lease.onDidLose(() => leased.switchRole(() => leased.becomeFollower()));
    if (await lease.tryAcquire()) {
      await leased.becomeHolder();
    } else {
      await leased.becomeFollower();
      lease.waitForLease();
    }
    return leased;
  }

  get role(): StoreRole {
    return this.engine ? 'holder' : 'follower';
  }

  /** Who runs the jobs, for messages ("pid 42 on host"). */
  async holderText(): Promise<string> {
    const info = await this.lease.current();
    return describeHolder(info);
  }

  private switchRole(change: () => Promise<void>): void {
    this.switching = this.switching.then(change).catch((err: unknown) => this.options.log?.('error', `[Lease] ${(err as Error).message}`));
  }

  private async becomeHolder(): Promise<void> {
    if (this.disposed || this.engine) return;
    this.stopView();
    const engine = await this.options.open();
    if (this.disposed || !this.lease.held) {
      await engine.dispose();
      return;
    }
    this.engine = engine;
    if (this.maxConcurrent !== undefined) engine.setMaxConcurrentJobs(this.maxConcurrent);
    this.engineEvents = engine.onDidChangeJob((e) => this.emitter.fire(e));
    this.inbox = new CommandInbox(this.options.storeDir, engine, this.options.pollMs ?? 200, (m) => this.options.log?.('info', `[Lease] ${m}`));
    this.inbox.start();
    this.options.log?.('info', `[Lease] this process runs the jobs of ${this.options.storeDir}`);
    for (const job of engine.listAllJobs?.() ?? engine.listJobs()) this.emitter.fire({ kind: 'modified', job });
    this.roleEmitter.fire('holder');
  }

  private async becomeFollower(): Promise<void> {
    const engine = this.engine;
    this.engine = undefined;
    this.inbox?.stop();
    this.inbox = undefined;
    this.engineEvents?.dispose();
    // Stop transfers before anything else: another process now runs these jobs.
    if (engine) await engine.dispose();
    if (this.disposed) return;
    this.view = new StoreView(this.options.storeDir, this.options.pollMs ?? 1000);
    this.viewEvents = this.view.onDidChangeJob((e) => this.emitter.fire(e));
    await this.view.start();
    this.options.log?.('info', `[Lease] the jobs of ${this.options.storeDir} are run by ${await this.holderText()}; this window shows them and forwards commands`);
    this.roleEmitter.fire('follower');
  }

  private stopView(): void {
    this.viewEvents?.dispose();
    this.view?.dispose();
    this.view = undefined;
  }

  private async forward(verb: ForwardedVerb, args: unknown[]): Promise<unknown> {
    if (this.disposed) throw new BitsError(Codes.BG_E_INVALID_STATE, 'The engine is closed.', ErrorContext.GENERAL_QUEUE_MANAGER);
    const value = await forwardCommand(this.options.storeDir, verb, args, this.options.forwardTimeoutMs ?? 15_000, () => this.holderText());
    // Show the effect at once rather than at the next poll.
    await this.view?.reload();
    return value;
  }

  /** Runs a verb on the real engine when this process holds the lease, else forwards it to the holder. */
  private async verb<T>(verb: ForwardedVerb, args: unknown[]): Promise<T> {
    await this.switching;
    const engine = this.engine;
    if (engine) return (engine[verb] as (...a: unknown[]) => Promise<T>).apply(engine, args);
    return (await this.forward(verb, args)) as T;
  }

  createJob(options: NewJobOptions): Promise<JobSnapshot> {
    return this.verb('createJob', [options]);
  }
  addFile(jobId: string, file: NewFileOptions): Promise<JobSnapshot> {
    return this.verb('addFile', [jobId, file]);
  }
  resume(jobId: string): Promise<void> {
    return this.verb('resume', [jobId]);
  }
  suspend(jobId: string): Promise<void> {
    return this.verb('suspend', [jobId]);
  }
  cancel(jobId: string): Promise<{ code: number }> {
    return this.verb('cancel', [jobId]);
  }
  complete(jobId: string): Promise<CompleteResult> {
    return this.verb('complete', [jobId]);
  }
  setPriority(jobId: string, priority: JobPriority): Promise<void> {
    return this.verb('setPriority', [jobId, priority]);
  }
  retryNow(jobId: string): Promise<void> {
    return this.verb('retryNow', [jobId]);
  }
  setValidatorSource(jobId: string, source: ValidatorSource): Promise<void> {
    return this.verb('setValidatorSource', [jobId, source]);
  }
  setProperties(jobId: string, patch: JobPropertiesPatch): Promise<JobSnapshot> {
    return this.verb('setProperties', [jobId, patch]);
  }
  removeJob(jobId: string): Promise<void> {
    return this.verb('removeJob', [jobId]);
  }
  /** The holder reads the certificate's secrets from its own secret store (VS Code's is shared by the windows). */
  setClientCertificate(jobId: string, certificate: ClientCertificateSpec | undefined): Promise<JobSnapshot> {
    return this.verb('setClientCertificate', [jobId, certificate ?? null]);
  }

  getJob(jobId: string): JobSnapshot | undefined {
    if (this.engine) return this.engine.getJob(jobId);
    const record = this.view?.get(jobId);
    return record ? structuredClone(record) : undefined;
  }

  listJobs(): JobSnapshot[] {
    if (this.engine) return this.engine.listJobs();
    return this.viewRecords().filter((r) => !FINAL.has(r.state));
  }

  listAllJobs(): JobSnapshot[] {
    if (this.engine) return this.engine.listAllJobs?.() ?? this.engine.listJobs();
    return this.viewRecords();
  }

  private viewRecords(): JobSnapshot[] {
    return (this.view?.records() ?? []).sort((a, b) => a.times.created.localeCompare(b.times.created)).map((r) => structuredClone(r));
  }

  getProgress(jobId: string): JobProgress {
    if (this.engine) return this.engine.getProgress(jobId);
    const record = this.view?.get(jobId);
    if (!record) throw new BitsError(Codes.BG_E_NOT_FOUND, `No job ${jobId} in this store.`, ErrorContext.GENERAL_QUEUE_MANAGER);
    return progressOf(record, 0);
  }

  setMaxConcurrentJobs(n: number): void {
    this.maxConcurrent = n;
    this.engine?.setMaxConcurrentJobs(n);
  }

  /** Applies to the real engine while this process runs it; the next one reads the settings when it opens. */
  setBandwidthLimit(bytesPerSecond: number): void {
    this.engine?.setBandwidthLimit?.(bytesPerSecond);
  }

  setSegmentPolicy(policy: { enabled?: boolean; minSize?: number; connections?: number }): void {
    this.engine?.setSegmentPolicy?.(policy);
  }

  get storeProblems(): readonly StoreProblem[] {
    return this.engine?.storeProblems ?? [];
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.switching;
    this.inbox?.stop();
    this.engineEvents?.dispose();
    this.stopView();
    const engine = this.engine;
    this.engine = undefined;
    if (engine) await engine.dispose();
    // Released after the engine stopped writing, so a waiting process takes over a quiet store.
    await this.lease.dispose();
    this.emitter.dispose();
    this.roleEmitter.dispose();
  }
}

export function describeHolder(info: LeaseInfo | undefined): string {
  if (!info) return 'no process';
  return `${info.label ?? 'another process'} (pid ${info.pid} on ${info.host})`;
}
