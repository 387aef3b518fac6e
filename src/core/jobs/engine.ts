// The job engine: BITS's verbs and states over a crash-safe store. The verbs and the state changes are here; the
// rest is beside it in jobs/: the scheduler (job-scheduler.ts), a run's files (job-runner.ts), recovery at open
// (recovery.ts), new file sets (file-set.ts), retry timers (retry-timers.ts), idle limits (idle-limit.ts),
// failures (failure.ts), progress events (progress-events.ts). No vscode import: the extension, the CLI and the
// tests all drive this same class.
import { randomUUID } from 'node:crypto';
import { BitsError, Codes, ErrorContext, formatError } from '../errors';
import { Emitter, type Event } from '../event';
import { DefaultConnections } from '../transfer/default-connections';
import { BandwidthLimiter } from '../transfer/bandwidth';
import { DEFAULT_SEGMENT_POLICY, type SegmentPolicy } from '../transfer/segments';
import { JobStore } from '../store/job-store';
import { completeFiles, deleteTempFiles } from './job-files';
import { runToEnd } from './job-runner';
import {
  JobPriority,
  JobState,
  type CompleteResult,
  type ConnectionProvider,
  type DownloadEngine,
  type JobChangeEvent,
  type JobChangeKind,
  type JobProgress,
  type JobPropertiesPatch,
  type JobRecord,
  type JobSnapshot,
  type NewFileOptions,
  type NewJobOptions,
  type StoreProblem,
  type ValidatorSource,
  type ClientCertificateSpec,
} from '../model/job';
import { progressOf, RateMeter } from '../model/progress';
import { JobScheduler } from './job-scheduler';
import type { Slot } from './slot';
import { JobSnapshots } from './snapshot';
import { ACTIVE_STATES, assertVerbAllowed, FINAL_STATES, stateName, type Verb } from '../model/states';
import { checkBandwidthLimit, checkSegmentPolicy } from './transfer-settings';
import {
  checkBoolean,
  checkChecksumChange,
  checkHeaders,
  checkPatch,
  checkPriority,
  checkSecurityFlags,
  checkText,
  checkValidatorSource,
} from '../model/validation';
import { newFileRecords } from './file-set';
import { checkClientCertificateSpec, loadClientCertificate, needsSecret } from '../tls/client-certificate';
import type { JobEngineOptions, LogLevel } from './engine-options';
import { recoverStoredJobs } from './recovery';
import { RetryTimers } from './retry-timers';
import { countBytes, ProgressThrottle } from './progress-events';
import { idleLimitOf } from './idle-limit';
import { recordFailure } from './failure';
import { RunConnections } from './run-connections';

export type { JobEngineOptions, LogLevel } from './engine-options';

const DAY_MS = 24 * 3600 * 1000;

export class JobEngine implements DownloadEngine {
  private readonly emitter = new Emitter<JobChangeEvent>();
  readonly onDidChangeJob: Event<JobChangeEvent> = this.emitter.event;
  private readonly slots = new Map<string, Slot>();
  private readonly scheduler: JobScheduler;
  private readonly connections: ConnectionProvider;
  private readonly ownConnections?: DefaultConnections;
  private disposed = false;
  private segmentPolicy: SegmentPolicy;
  private readonly limiter: BandwidthLimiter;
  private readonly retries = new RetryTimers((slot) => {
    slot.retrying = true;
    this.setState(slot, JobState.QUEUED);
    this.scheduler.schedule();
  });
  private readonly progress: ProgressThrottle;

  private constructor(
    private readonly options: JobEngineOptions,
    private readonly store: JobStore,
    readonly storeProblems: readonly StoreProblem[],
  ) {
    if (options.connections) {
      this.connections = options.connections;
    } else {
      this.ownConnections = new DefaultConnections();
      this.connections = this.ownConnections;
    }
    this.segmentPolicy = checkSegmentPolicy({ ...DEFAULT_SEGMENT_POLICY, ...options.segments });
    this.limiter = new BandwidthLimiter(checkBandwidthLimit(options.bandwidthLimit ?? 0));
    this.progress = new ProgressThrottle(options.progressIntervalMs ?? 500, (slot) => this.fire('progress', slot));
    this.scheduler = new JobScheduler(
      {
        slots: () => this.slots.values(),
        run: (slot, signal) => this.runJob(slot, signal),
        runEnded: (slot) => {
          this.progress.flush(slot);
          this.save(slot);
        },
        yieldSlot: (slot) => this.setState(slot, JobState.QUEUED),
        log: (level, message) => this.log(level, message),
      },
      options.maxConcurrentJobs ?? 4,
      options.timeSliceMs ?? 5000,
    );
  }

  /** Opens the store (setting aside unreadable job files) and continues every unfinished job from its bytes on disk. */
  static async open(options: JobEngineOptions): Promise<JobEngine> {
    const log = options.log ?? (() => undefined);
    const loaded = await JobStore.open(options.storeDir, { coalesceMs: options.storeCoalesceMs, log });
    const engine = new JobEngine(options, loaded.store, loaded.problems);
    await engine.adoptLoaded(loaded.jobs);
    engine.scheduler.schedule();
    return engine;
  }

  private log(level: LogLevel, message: string): void {
    this.options.log?.(level, message);
  }

  /** Gives each stored job its slot, and continues those this engine runs (recovery.ts says how). */
  private async adoptLoaded(jobs: JobRecord[]): Promise<void> {
    const { expired, kept } = await recoverStoredJobs(jobs, {
      resume: this.options.resumeStoredJobs ?? true,
      retentionMs: this.options.finalJobRetentionMs ?? DAY_MS,
      now: Date.now(),
    });
    for (const id of expired) await this.store.remove(id);
    for (const { record, resume, next } of kept) {
      const slot = this.newSlot(record, resume);
      this.slots.set(record.id, slot);
      if (next.kind === 'save') this.save(slot);
      else if (next.kind === 'retry') {
        slot.retrying = true;
        this.retries.arm(slot, next.at);
      } else if (next.kind === 'autoComplete') this.autoComplete(slot);
    }
  }

  private newSlot(record: JobRecord, adopted: boolean): Slot {
    return {
      record,
      ticket: this.scheduler.nextTicket(),
      lastProgressEvent: 0,
      rate: new RateMeter(),
      adopted,
      held: false,
      retrying: false,
      lock: Promise.resolve(),
      snapshots: new JobSnapshots(),
    };
  }

  // ---- reading ----

  getJob(jobId: string): JobSnapshot | undefined {
    const slot = this.slots.get(jobId);
    return slot ? this.snapshot(slot) : undefined;
  }

  listJobs(): JobSnapshot[] {
    return [...this.slots.values()]
      .filter((s) => !FINAL_STATES.has(s.record.state))
      .sort((a, b) => a.record.times.created.localeCompare(b.record.times.created))
      .map((s) => this.snapshot(s));
  }

  /** Every job, ACKNOWLEDGED and CANCELLED ones included (until removed), oldest first. */
  listAllJobs(): JobSnapshot[] {
    return [...this.slots.values()]
      .sort((a, b) => a.record.times.created.localeCompare(b.record.times.created))
      .map((s) => this.snapshot(s));
  }

  /** The names of a job's write-only headers, without copying the whole job (asked once per file). */
  writeOnlyHeaderNamesOf(jobId: string): string[] | undefined {
    const names = this.slots.get(jobId)?.record.writeOnlyHeaderNames;
    return names ? [...names] : undefined;
  }

  getProgress(jobId: string): JobProgress {
    const slot = this.slotOf(jobId);
    return progressOf(slot.record, slot.run ? slot.rate.rate() : 0);
  }

  private *records(): Iterable<JobRecord> {
    for (const slot of this.slots.values()) yield slot.record;
  }

  private snapshot(slot: Slot): JobSnapshot {
    return slot.snapshots.of(slot.record);
  }

  private slotOf(jobId: string): Slot {
    const slot = this.slots.get(jobId);
    if (!slot) throw new BitsError(Codes.BG_E_NOT_FOUND, `No job ${jobId} in this store.`, ErrorContext.GENERAL_QUEUE_MANAGER);
    return slot;
  }

  // ---- verbs ----

  /** Runs `action` under the job's lock after checking the verb is allowed in the job's current state. */
  private async verb<T>(jobId: string, verb: Verb, action: (slot: Slot) => Promise<T>): Promise<T> {
    this.assertOpen();
    const slot = this.slotOf(jobId);
    const result = slot.lock.then(async () => {
      assertVerbAllowed(verb, slot.record.state, jobId);
      slot.adopted = true;
      return action(slot);
    });
    slot.lock = result.catch(() => undefined);
    return result;
  }

  private assertOpen(): void {
    if (this.disposed)
      throw new BitsError(Codes.BG_E_INVALID_STATE, 'The download engine was shut down.', ErrorContext.GENERAL_QUEUE_MANAGER);
  }

  async createJob(options: NewJobOptions): Promise<JobSnapshot> {
    this.assertOpen();
    const now = new Date().toISOString();
    const record: JobRecord = {
      id: randomUUID(),
      displayName: checkText('The display name', options.displayName, 256),
      description: checkText('The description', options.description ?? '', 1024),
      priority: checkPriority(options.priority ?? JobPriority.NORMAL),
      owner: checkText('The owner', options.owner ?? this.options.owner ?? 'workspace', 256),
      state: JobState.SUSPENDED,
      files: [],
      times: { created: now, modified: now },
      // BITS defaults: retry after 10 minutes, give up after 14 days without progress.
      minimumRetryDelay: 600,
      noProgressTimeout: 1_209_600,
      securityFlags: checkSecurityFlags(options.securityFlags ?? 0),
      customHeaders: checkHeaders(options.customHeaders),
      validator: checkValidatorSource(options.validator ?? 'none'),
      autoComplete: checkBoolean('autoComplete', options.autoComplete ?? false),
    };
    const timers = checkPatch({ minimumRetryDelay: options.minimumRetryDelay, noProgressTimeout: options.noProgressTimeout });
    Object.assign(record, timers);
    const slot = this.newSlot(record, true);
    this.slots.set(record.id, slot);
    await this.saveNow(slot);
    this.fire('created', slot);
    this.log('info', `[Engine] created job ${record.id} "${record.displayName}"`);
    return this.snapshot(slot);
  }

  async addFile(jobId: string, file: NewFileOptions): Promise<JobSnapshot> {
    return this.addFileSet(jobId, [file], false);
  }

  /**
   * BITS AddFileSet: every file is checked before any is added (all or none), then the job is stored once, so
   * a job of a thousand files costs one store write instead of a thousand growing ones. A refused entry is named
   * by its index; an empty set is refused (E_INVALIDARG), as it is most likely a caller's mistake.
   */
  async addFiles(jobId: string, files: readonly NewFileOptions[]): Promise<JobSnapshot> {
    if (!Array.isArray(files) || files.length === 0) {
      throw new BitsError(
        Codes.E_INVALIDARG,
        `addFiles needs a non-empty array of files (got ${Array.isArray(files) ? 'an empty array' : typeof files}); nothing was added to job ${jobId}.`,
        ErrorContext.GENERAL_QUEUE_MANAGER,
      );
    }
    return this.addFileSet(jobId, files, true);
  }

  private async addFileSet(jobId: string, files: readonly NewFileOptions[], nameEntries: boolean): Promise<JobSnapshot> {
    return this.verb(jobId, 'addFile', async (slot) => {
      const job = slot.record;
      const added = await newFileRecords(job, files, this.records(), nameEntries);
      for (const file of added) job.files.push(file);
      this.touch(slot);
      this.fire('modified', slot);
      if (job.state === JobState.TRANSFERRED) {
        // BITS: a file added to a transferred job puts it back in the queue.
        this.requeue(slot);
      } else {
        await this.saveNow(slot);
      }
      this.scheduler.schedule();
      return this.snapshot(slot);
    });
  }

  async resume(jobId: string): Promise<void> {
    return this.verb(jobId, 'resume', async (slot) => {
      const job = slot.record;
      if (job.files.length === 0) {
        throw new BitsError(
          Codes.BG_E_EMPTY,
          `Job ${jobId} has no files. Add files to the job, and then resume it.`,
          ErrorContext.GENERAL_QUEUE_MANAGER,
        );
      }
      // Already in line (perhaps loaded without being run, and adopted just now by this verb): just schedule.
      if (!ACTIVE_STATES.has(job.state) && job.state !== JobState.TRANSFERRED) this.requeue(slot);
      this.scheduler.schedule();
    });
  }

  /** Back in line for a fresh attempt: the error is cleared and the no-progress window starts again. */
  private requeue(slot: Slot): void {
    this.retries.clear(slot);
    slot.retrying = false;
    slot.ticket = this.scheduler.nextTicket();
    slot.record.lastProgressAt = Date.now();
    slot.record.error = undefined;
    if (slot.record.files.every((f) => f.transferred)) this.enterTransferred(slot);
    else this.setState(slot, JobState.QUEUED);
  }

  async suspend(jobId: string): Promise<void> {
    return this.verb(jobId, 'suspend', async (slot) => {
      if (slot.record.state === JobState.SUSPENDED) return;
      this.retries.clear(slot);
      this.setState(slot, JobState.SUSPENDED);
      await this.scheduler.stopRun(slot);
      await this.saveNow(slot);
      this.scheduler.schedule();
    });
  }

  async cancel(jobId: string): Promise<{ code: number }> {
    return this.verb(jobId, 'cancel', async (slot) => {
      slot.held = true;
      try {
        this.retries.clear(slot);
        await this.scheduler.stopRun(slot);
        const failed = await deleteTempFiles(slot.record.files);
        if (failed.length > 0) this.log('warn', `[Engine] job ${jobId}: could not delete ${failed.join(', ')}`);
        this.setState(slot, JobState.CANCELLED);
        await this.saveNow(slot);
        return { code: failed.length > 0 ? Codes.BG_S_UNABLE_TO_DELETE_FILES : Codes.S_OK };
      } finally {
        slot.held = FINAL_STATES.has(slot.record.state);
        this.scheduler.schedule();
      }
    });
  }

  async complete(jobId: string): Promise<CompleteResult> {
    return this.verb(jobId, 'complete', async (slot) => {
      slot.held = true;
      try {
        this.retries.clear(slot);
        await this.scheduler.stopRun(slot);
        // The record must say TRANSFERRED on disk before any file is renamed: a crash in between must not leave a
        // store that says TRANSFERRING beside files already in place (found by the fault suite's kills).
        await this.saveNow(slot);
        const wereTransferred = slot.record.files.filter((f) => f.transferred);
        const result = await completeFiles(slot.record.files).catch((err: unknown) => {
          // A temp file that was not the job's (a link put at its name) is fetched again: back in line.
          if (wereTransferred.some((f) => !f.transferred)) this.requeue(slot);
          throw err;
        });
        this.setState(slot, JobState.ACKNOWLEDGED);
        await this.saveNow(slot);
        this.log(
          'info',
          `[Engine] job ${jobId} completed: ${result.completed.length} file(s) in place, ${result.notTransferred.length} not transferred`,
        );
        return result;
      } finally {
        slot.held = FINAL_STATES.has(slot.record.state);
        this.scheduler.schedule();
      }
    });
  }

  async setPriority(jobId: string, priority: JobPriority): Promise<void> {
    return this.verb(jobId, 'setPriority', async (slot) => {
      const checked = checkPriority(priority);
      if (slot.record.priority === checked) return;
      slot.record.priority = checked;
      this.touch(slot);
      this.fire('modified', slot);
      await this.saveNow(slot);
      this.scheduler.schedule();
    });
  }

  async setProperties(jobId: string, patch: JobPropertiesPatch): Promise<JobSnapshot> {
    return this.verb(jobId, 'setProperties', async (slot) => {
      const { fileSha256, ...fields } = checkPatch(patch);
      // Every checksum change is checked before anything changes: one refused entry leaves the job as it was.
      const checksums = (fileSha256 ?? []).filter((c) => checkChecksumChange(slot.record, c));
      Object.assign(slot.record, fields);
      for (const { fileIndex, sha256 } of checksums) {
        const file = slot.record.files[fileIndex];
        if (sha256 === null) delete file.sha256;
        else file.sha256 = sha256;
      }
      this.touch(slot);
      this.fire('modified', slot);
      await this.saveNow(slot);
      // Asked for while it waits in TRANSFERRED: completing at the next transition would be never.
      if (fields.autoComplete && slot.record.state === JobState.TRANSFERRED) this.autoComplete(slot);
      return this.snapshot(slot);
    });
  }

  async retryNow(jobId: string): Promise<void> {
    return this.verb(jobId, 'retryNow', async (slot) => {
      this.requeue(slot);
      this.scheduler.schedule();
    });
  }

  async setValidatorSource(jobId: string, source: ValidatorSource): Promise<void> {
    return this.verb(jobId, 'setValidatorSource', async (slot) => {
      checkValidatorSource(source);
      // A (re)set validator must judge the next connection: pooled ones were accepted under the old one.
      this.connections.closeJobConnections?.(jobId);
      if (slot.record.validator === source) return;
      slot.record.validator = source;
      this.touch(slot);
      this.fire('modified', slot);
      await this.saveNow(slot);
    });
  }

  async setClientCertificate(jobId: string, certificate: ClientCertificateSpec | undefined): Promise<JobSnapshot> {
    // BITS: allowed in every state but ACKNOWLEDGED and CANCELLED, as setProperties is.
    return this.verb(jobId, 'setProperties', async (slot) => {
      let record;
      // null as well as undefined removes it: a forwarded command carries JSON, which has no undefined.
      if (certificate !== undefined && certificate !== null) {
        const spec = checkClientCertificateSpec(certificate);
        const secret = needsSecret(spec) ? await this.options.clientCertificateSecrets?.(jobId) : undefined;
        record = (await loadClientCertificate(spec, secret)).record;
      }
      // The next connection presents the new certificate (or none): pooled ones were made with the old one.
      this.connections.closeJobConnections?.(jobId);
      slot.record.clientCertificate = record;
      if (!record) delete slot.record.clientCertificate;
      this.touch(slot);
      this.fire('modified', slot);
      await this.saveNow(slot);
      this.log(
        'info',
        `[Engine] job ${jobId}: client certificate ${record ? `set to ${record.subject} (SHA-1 ${record.sha1Thumbprint})` : 'removed'}`,
      );
      return this.snapshot(slot);
    });
  }

  async removeJob(jobId: string): Promise<void> {
    return this.verb(jobId, 'remove', async (slot) => {
      await this.store.remove(jobId);
      this.slots.delete(jobId);
      this.fire('removed', slot);
    });
  }

  setMaxConcurrentJobs(n: number): void {
    if (!Number.isInteger(n) || n < 1) {
      throw new BitsError(
        Codes.E_INVALIDARG,
        `The number of concurrent jobs must be a whole number of at least 1 (got ${n}).`,
        ErrorContext.GENERAL_QUEUE_MANAGER,
      );
    }
    this.scheduler.maxConcurrent = n;
    this.scheduler.schedule();
  }

  /** Segmented downloads on or off, their size threshold and connection count; applies from the next file. */
  setSegmentPolicy(policy: Partial<SegmentPolicy>): void {
    this.segmentPolicy = checkSegmentPolicy({ ...this.segmentPolicy, ...policy });
  }

  /** Total download rate of all jobs in bytes per second (0: no limit); applies to transfers in progress too. */
  setBandwidthLimit(bytesPerSecond: number): void {
    this.limiter.setLimit(checkBandwidthLimit(bytesPerSecond));
  }

  /** Stops every transfer (the jobs keep their state and bytes and continue at the next open) and flushes the store. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.scheduler.stop();
    this.retries.stop(this.slots.values());
    this.progress.stop(this.slots.values());
    await Promise.all([...this.slots.values()].map((s) => this.scheduler.stopRun(s)));
    await this.store.flush();
    this.ownConnections?.dispose();
    this.emitter.dispose();
  }

  // ---- state, events, store ----

  private setState(slot: Slot, state: JobState): void {
    const previousState = slot.record.state;
    if (previousState === state) return;
    slot.record.state = state;
    this.touch(slot);
    this.log('debug', `[Engine] job ${slot.record.id}: ${stateName(previousState)} -> ${stateName(state)}`);
    this.emitter.fire({ kind: 'state', job: this.snapshot(slot), previousState });
    this.saveNow(slot).catch(() => undefined);
  }

  private touch(slot: Slot): void {
    slot.record.times.modified = new Date().toISOString();
  }

  private fire(kind: JobChangeKind, slot: Slot): void {
    this.emitter.fire({ kind, job: this.snapshot(slot) });
  }

  private save(slot: Slot): void {
    if (!slot.adopted) return;
    this.store.save(slot.record.id, () => slot.record);
  }

  private saveNow(slot: Slot): Promise<void> {
    return this.store
      .saveNow(slot.record.id, () => slot.record)
      .catch((err: unknown) => {
        this.log('error', `[Store] could not save job ${slot.record.id}: ${(err as Error).message}`);
      });
  }

  // ---- running (the scheduler starts runs; job-runner.ts transfers the files) ----

  private async runJob(slot: Slot, signal: AbortSignal): Promise<void> {
    const job = slot.record;
    // Waiting for a slot is not "no progress"; waiting for a retry is, so a retried run keeps the window running.
    if (!slot.retrying) job.lastProgressAt = Date.now();
    slot.retrying = false;
    this.setState(slot, JobState.CONNECTING);
    slot.rate.reset();
    const connections = new RunConnections(job, this.connections, () => this.snapshot(slot), this.options.clientCertificateSecrets);
    const stallMs = this.options.stallTimeoutMs ?? 60_000;
    const outcome = await runToEnd({
      job,
      signal,
      agentFor: (protocol) => connections.agentFor(protocol),
      // The secret store only for a job that names write-only headers: in code-server, an extension host whose
      // browser tab closed keeps running (and holding the lease), but its keychain calls never return, and every
      // job, secrets or not, hung in CONNECTING.
      headers: async () => ({
        ...job.customHeaders,
        ...(job.writeOnlyHeaderNames?.length ? ((await this.options.headerSecrets?.(job.id)) ?? {}) : {}),
      }),
      clientCertificate: () => connections.clientCertificate(),
      idleLimit: (last) => idleLimitOf(job, stallMs, last),
      onResponding: () => {
        if (signal.aborted) return;
        if (job.state !== JobState.TRANSFERRING) job.error = undefined;
        this.setState(slot, JobState.TRANSFERRING);
      },
      onBytes: (bytes) => this.onBytes(slot, bytes),
      onFileChanged: () => this.save(slot),
      saveNow: () => this.store.saveNow(job.id, () => job),
      segmentPolicy: () => this.segmentPolicy,
      limiter: this.limiter,
      onFileTransferred: (index) => {
        this.log('info', `[Engine] job ${job.id}: file ${index} transferred (${job.files[index].bytesTotal} bytes)`);
        // The progress throttle reports it (and a run's end flushes it): an event per file would copy the whole
        // job once per file, O(files^2) for a job of many small files.
        this.save(slot);
      },
      log: (level, message) => this.log(level, `[Transfer] job ${job.id}: ${message}`),
    });
    if (outcome.kind === 'failed') this.fail(slot, outcome.error, outcome.fileIndex);
    else if (outcome.kind === 'transferred') this.enterTransferred(slot);
  }

  private onBytes(slot: Slot, bytes: number): void {
    const now = Date.now();
    countBytes(slot, bytes, now);
    this.save(slot);
    this.progress.moved(slot, now);
  }

  private enterTransferred(slot: Slot): void {
    const job = slot.record;
    job.error = undefined;
    job.times.transferCompleted = new Date().toISOString();
    this.setState(slot, JobState.TRANSFERRED);
    if (job.autoComplete) this.autoComplete(slot);
  }

  /** Completes the job on its own, after the current verb or transition has settled. */
  private autoComplete(slot: Slot): void {
    setImmediate(() => {
      if (this.disposed || slot.record.state !== JobState.TRANSFERRED) return;
      this.complete(slot.record.id).catch((err: unknown) => this.autoCompleteFailed(slot, err));
    });
  }

  /** Nobody is there to see a failed auto-complete, so it becomes the job's error; Resume retries it. */
  private autoCompleteFailed(slot: Slot, err: unknown): void {
    if (this.disposed || slot.record.state !== JobState.TRANSFERRED) return;
    const error = err instanceof BitsError ? err : new BitsError(Codes.E_FAIL, String(err), ErrorContext.LOCAL_FILE);
    this.log('error', `[Engine] auto-complete of job ${slot.record.id} failed: ${error.toString()}`);
    slot.record.error = {
      context: error.context,
      code: error.code,
      description: `${error.message} (Putting the files in place failed; fix the cause and resume the job.)`,
      time: new Date().toISOString(),
    };
    this.setState(slot, JobState.ERROR);
  }

  /** A file failed: the job waits for its retry in TRANSIENT_ERROR, or stops in ERROR (failure.ts decides). */
  private fail(slot: Slot, error: BitsError, fileIndex: number): void {
    const decision = recordFailure(slot.record, error, fileIndex, Date.now(), this.options.retryDelayFloorSeconds ?? 5);
    this.log('warn', `[Engine] job ${slot.record.id} file ${fileIndex}: ${formatError(error, 'log')}`);
    if (decision.kind === 'retry') {
      this.setState(slot, JobState.TRANSIENT_ERROR);
      this.retries.arm(slot, decision.at);
    } else {
      this.setState(slot, JobState.ERROR);
    }
  }
}
