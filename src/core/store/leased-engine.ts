// One engine per store, seen from one process: while this process holds the store's lease it runs the real
// engine and answers commands other processes forward; without the lease it shows the store read-only (re-read
// as it changes), forwards the user's verbs to the holder, and opens the real engine the moment the lease
// becomes free or expires. If the lease is ever lost, the real engine is closed at once, so no job is downloaded
// by two processes at the same time.
// A holder whose window is gone (HolderLiveness) lets go of the lease; a follower whose forwarded command the holder
// does not take in time takes the store over (StoreLease.takeOver waits until the old holder stopped).
import { BitsError, Codes, ErrorContext } from '../errors';
import { Emitter, type Disposable, type Event } from '../event';
import { progressOf } from '../model/progress';
import { FINAL_STATES } from '../model/states';
import {
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
  type HolderLiveness,
  type StoreRole,
} from '../model/job';
import { CommandInbox, forwardCommand, type ForwardedVerb } from './command-queue';
import { StoreLease, type LeaseInfo, type LeaseOptions } from './lease';
import { StoreView } from './store-view';

// Declared beside the engine interface, so that the UI needs nothing from the store to read them.
export type { HolderLiveness, StoreRole };

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
  /** A forwarded command the holder has not even taken in this time is withdrawn, and this process takes the store over. */
  claimTimeoutMs?: number;
  liveness?: HolderLiveness;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/** A holder takes a request within its poll interval (200 ms) unless it is stuck; seconds leave room for a busy machine. */
const DEFAULT_CLAIM_TIMEOUT_MS = 5_000;
/** Taking over from an unresponsive holder: one withdrawn command, a take-over, and a retry if another process won. */
const FORWARD_ATTEMPTS = 3;

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
  private livenessEvents: Disposable | undefined;
  private maxConcurrent: number | undefined;
  private disposed = false;
  /** Serialises role changes (take over, lose) so they never interleave. */
  private switching: Promise<void> = Promise.resolve();

  private constructor(
    private readonly options: LeasedEngineOptions,
    readonly lease: StoreLease,
  ) {}

  static async open(options: LeasedEngineOptions): Promise<LeasedEngine> {
    const liveness = options.liveness;
    const lease = new StoreLease(options.storeDir, {
      ...options.lease,
      // As holder it runs a CommandInbox (becomeHolder): other processes may forward their verbs to it.
      takesCommands: true,
      log: options.log,
      mayHold: () => liveness?.alive ?? true,
    });
    const leased = new LeasedEngine(options, lease);
    lease.onDidAcquire(() => leased.switchRole(() => leased.becomeHolder()));
    lease.onDidLose(() =>
      leased.switchRole(async () => {
        await leased.becomeFollower();
        // The engine has stopped: the process that took the store may start now rather than when our heartbeat expires.
        await lease.confirmStopped();
      }),
    );
    leased.livenessEvents = liveness?.onDidChange((alive) => (alive ? lease.waitForLease() : leased.switchRole(() => leased.giveUp())));
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
    this.inbox = new CommandInbox(this.options.storeDir, engine, this.options.pollMs ?? 200, (m) =>
      this.options.log?.('info', `[Lease] ${m}`),
    );
    this.inbox.start();
    this.options.log?.('info', `[Lease] this process runs the jobs of ${this.options.storeDir}`);
    for (const job of engine.listAllJobs?.() ?? engine.listJobs()) this.emitter.fire({ kind: 'modified', job });
    this.roleEmitter.fire('holder');
  }

  /** This process can no longer serve its user: it stops running jobs and lets another process take them. */
  private async giveUp(): Promise<void> {
    if (this.engine) {
      this.options.log?.(
        'warn',
        `[Lease] this window is gone: it stops running the jobs of ${this.options.storeDir} and lets go of the store`,
      );
      await this.becomeFollower();
    }
    await this.lease.release();
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
    this.options.log?.(
      'info',
      `[Lease] the jobs of ${this.options.storeDir} are run by ${await this.holderText()}; this window shows them and forwards commands`,
    );
    this.roleEmitter.fire('follower');
  }

  private stopView(): void {
    this.viewEvents?.dispose();
    this.view?.dispose();
    this.view = undefined;
  }

  /** Runs a verb on the real engine when this process holds the lease, else forwards it to the holder. */
  private async verb<T>(verb: ForwardedVerb, args: unknown[]): Promise<T> {
    const claimTimeoutMs = this.options.claimTimeoutMs ?? DEFAULT_CLAIM_TIMEOUT_MS;
    for (let attempt = 1; ; attempt++) {
      await this.switching;
      const engine = this.engine;
      if (engine) return (engine[verb] as (...a: unknown[]) => Promise<T>).apply(engine, args);
      if (this.disposed) throw new BitsError(Codes.BG_E_INVALID_STATE, 'The engine is closed.', ErrorContext.GENERAL_QUEUE_MANAGER);
      const holder = await this.holderText();
      const limits = { claimTimeoutMs, answerTimeoutMs: this.options.forwardTimeoutMs ?? 15_000 };
      const outcome = await forwardCommand(this.options.storeDir, verb, args, limits, () => this.holderText());
      if (outcome.taken) {
        // Show the effect at once rather than at the next poll.
        await this.view?.reload();
        return outcome.value as T;
      }
      // The holder renews its lease but takes no work (e.g. stuck in a call into its window, which is gone).
      this.options.log?.(
        'warn',
        `[Lease] ${holder} did not take '${verb}' within ${claimTimeoutMs / 1000} s; this process takes the store over`,
      );
      if (!(await this.takeOver()) && attempt >= FORWARD_ATTEMPTS) {
        throw new BitsError(
          Codes.MD_E_STORE_IN_USE,
          `The jobs of this store are run by ${holder}, which takes no commands, and this window could not take the store over, so '${verb}' was not done. Try again in a moment, or close that window.`,
          ErrorContext.GENERAL_QUEUE_MANAGER,
        );
      }
    }
  }

  /** Takes the store from a holder that takes no work; true once this process runs the jobs. */
  private async takeOver(): Promise<boolean> {
    const before = await this.lease.current();
    if (!(await this.lease.takeOver())) return false;
    const roleChanged = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => finish(false), (before?.ttlMs ?? 10_000) + 5_000);
      const events = this.roleEmitter.event((role) => role === 'holder' && finish(true));
      const finish = (done: boolean) => {
        clearTimeout(timer);
        events.dispose();
        resolve(done);
      };
    });
    // Free or expired after all: held at once; else onDidAcquire fires once the old holder stopped.
    if (this.lease.held) this.switchRole(() => this.becomeHolder());
    return roleChanged;
  }

  createJob(options: NewJobOptions): Promise<JobSnapshot> {
    return this.verb('createJob', [options]);
  }
  addFile(jobId: string, file: NewFileOptions): Promise<JobSnapshot> {
    return this.verb('addFile', [jobId, file]);
  }
  addFiles(jobId: string, files: readonly NewFileOptions[]): Promise<JobSnapshot> {
    return this.verb('addFiles', [jobId, files]);
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
    return this.viewRecords().filter((r) => !FINAL_STATES.has(r.state));
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
    this.livenessEvents?.dispose();
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
