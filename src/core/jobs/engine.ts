// The job engine: BITS's verbs and states over a crash-safe store, a scheduler (priorities, a concurrency
// limit, time slices among equals), and the retry and no-progress timers. No vscode import: the extension,
// the CLI and the tests all drive this same class.
import { randomUUID } from 'node:crypto';
import type { Agent } from 'node:http';
import { BitsError, Codes, ErrorContext, formatCode, codeName } from '../errors';
import { Emitter, type Event } from '../event';
import { DefaultConnections } from '../transfer/default-connections';
import { TransferStopped } from '../transfer/file-transfer';
import { BandwidthLimiter } from '../transfer/bandwidth';
import { DEFAULT_SEGMENT_POLICY, segmentedBytes, segmentsAreSound, type SegmentPolicy } from '../transfer/segments';
import { sizeOf, tempPathFor } from '../transfer/temp-file';
import type { IdleLimit } from '../transfer/watchdog';
import { JobStore } from '../store/job-store';
import { completeFiles, deleteTempFiles, destinationAtAdd } from './job-files';
import { eachLimited, FILE_CALLS_AT_ONCE } from '../util/each-limited';
import { FileFailure, runJobFiles, type RunnerDeps } from './job-runner';
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
import { decideAfterError, explainFailure, retryOf } from '../model/retry';
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
import { checkNewFile } from './file-checks';
import {
  checkClientCertificateSpec,
  loadClientCertificate,
  needsSecret,
  type ClientCertificateSecret,
  type ClientTlsOptions,
} from '../tls/client-certificate';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export interface JobEngineOptions {
  storeDir: string;
  /** Where connections come from (the certificate gate plugs in here); default: Node's own verification. */
  connections?: ConnectionProvider;
  /** Owner of jobs created without one. */
  owner?: string;
  /** No retry comes sooner than this, whatever the job says (BITS's minimum, 5 s; tests pass less). */
  retryDelayFloorSeconds?: number;
  /** Progress events per job at most this often (BITS: 500 ms). */
  progressIntervalMs?: number;
  maxConcurrentJobs?: number;
  /** Length of a time slice when more jobs of one priority wait than there are slots. */
  timeSliceMs?: number;
  /** A connection silent this long fails with a transient time-out (and is retried). */
  stallTimeoutMs?: number;
  /**
   * Continue the store's unfinished jobs on open (false: load them to show, run only jobs this engine is asked to;
   * a function: continue the jobs it accepts, e.g. the CLI's `run` leaves a job whose secrets it lacks alone).
   */
  resumeStoredJobs?: boolean | ((job: JobSnapshot) => boolean);
  /** Values of write-only headers (kept in a secret store, never in the job store). */
  headerSecrets?: (jobId: string) => Record<string, string> | undefined | Promise<Record<string, string> | undefined>;
  /** A client certificate's passphrase and secret-kept material; asked only of jobs whose certificate needs them. */
  clientCertificateSecrets?: (jobId: string) => ClientCertificateSecret | undefined | Promise<ClientCertificateSecret | undefined>;
  /** ACKNOWLEDGED and CANCELLED jobs stay readable (getJob, the store) this long, then are removed. */
  finalJobRetentionMs?: number;
  /** Coalescing delay of progress writes to the store. */
  storeCoalesceMs?: number;
  /** Several Range connections for one large file (default: on, 8 connections, from 32 MiB). */
  segments?: Partial<SegmentPolicy>;
  /** Total download rate of all jobs, bytes per second; 0 or absent: no limit. */
  bandwidthLimit?: number;
  log?: (level: LogLevel, message: string) => void;
}

const DAY_MS = 24 * 3600 * 1000;
const MAX_TIMER_MS = 2 ** 31 - 1;

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
    this.scheduler = new JobScheduler(
      {
        slots: () => this.slots.values(),
        run: (slot, signal) => this.runJob(slot, signal),
        runEnded: (slot) => {
          this.flushProgress(slot);
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

  private get floorSeconds(): number {
    return this.options.retryDelayFloorSeconds ?? 5;
  }

  private async adoptLoaded(jobs: JobRecord[]): Promise<void> {
    const option = this.options.resumeStoredJobs ?? true;
    const now = Date.now();
    const retention = this.options.finalJobRetentionMs ?? DAY_MS;
    jobs.sort((a, b) => a.times.created.localeCompare(b.times.created));
    for (const record of jobs) {
      if (FINAL_STATES.has(record.state) && now - Date.parse(record.times.modified) > retention) {
        await this.store.remove(record.id);
        continue;
      }
      const resume = typeof option === 'function' ? option(structuredClone(record)) : option;
      const slot = this.newSlot(record, resume);
      this.slots.set(record.id, slot);
      if (!resume || FINAL_STATES.has(record.state)) continue;
      // The temp files are the truth about the bytes received; the record may lag by one coalesced write.
      // A segmented file's temp file has holes: its record says which bytes are in it.
      for (const f of record.files) {
        if (f.transferred) continue;
        if (f.segments === undefined) f.bytesTransferred = await sizeOf(f.tempPath).catch(() => f.bytesTransferred);
        // A damaged split counts for nothing; the transfer drops it and starts the file again.
        else f.bytesTransferred = segmentsAreSound(f.segments, f.bytesTotal) ? segmentedBytes(f.segments) : 0;
      }
      // Time with the engine closed is not "no progress": the window starts again now.
      record.lastProgressAt = now;
      if (ACTIVE_STATES.has(record.state)) {
        record.state = JobState.QUEUED;
        this.save(slot);
      } else if (record.state === JobState.TRANSIENT_ERROR) {
        slot.retrying = true;
        this.armRetry(slot, Math.max(now, record.retryAt ?? now));
      } else if (record.state === JobState.TRANSFERRED && record.autoComplete) {
        // Its files arrived but the process that ran it ended before putting them in place: nobody else will.
        this.autoComplete(slot);
      }
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
    /** A set's refused entry: the message says which one, and that nothing was added. */
    const refused = (index: number, err: unknown): unknown =>
      nameEntries && err instanceof BitsError
        ? new BitsError(
            err.code,
            `files[${index}] was refused, so none of the ${files.length} files was added: ${err.message}`,
            err.context,
            { cause: err },
          )
        : err;
    return this.verb(jobId, 'addFile', async (slot) => {
      const job = slot.record;
      const key = (p: string) => (process.platform === 'linux' ? p : p.toLowerCase());
      const taken = new Set(job.files.map((f) => key(f.localPath)));
      const elsewhere = this.liveDestinations(jobId, key);
      const checkedFiles = [];
      for (const [index, file] of files.entries()) {
        try {
          checkedFiles.push(this.checkAddedFile(job, file, taken, elsewhere, key));
        } catch (err) {
          throw refused(index, err);
        }
      }
      // What is at each destination now is what Complete may replace (an existing folder is refused).
      const replaces = new Map<string, string>();
      await eachLimited(checkedFiles, FILE_CALLS_AT_ONCE, async (checked, index) => {
        const existing = await destinationAtAdd(checked.localPath).catch((err: unknown) => {
          throw refused(index, err);
        });
        if (existing !== undefined) replaces.set(checked.localPath, existing);
      });
      for (const checked of checkedFiles) {
        const replaced = replaces.get(checked.localPath);
        job.files.push({
          remoteUrl: checked.url.href,
          localPath: checked.localPath,
          tempPath: tempPathFor(checked.localPath, job.id, job.files.length),
          bytesTotal: null,
          bytesTransferred: 0,
          transferred: false,
          ...(checked.sha256 ? { sha256: checked.sha256 } : {}),
          ...(replaced !== undefined ? { replaces: replaced } : {}),
        });
      }
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

  /** One file of a set, checked against the job's other files (`taken`, which it joins) and other jobs' ones. */
  private checkAddedFile(
    job: JobRecord,
    file: NewFileOptions,
    taken: Set<string>,
    elsewhere: Map<string, JobRecord>,
    key: (p: string) => string,
  ): ReturnType<typeof checkNewFile> {
    const checked = checkNewFile(file);
    if (taken.has(key(checked.localPath))) {
      throw new BitsError(
        Codes.E_INVALIDARG,
        `Job ${job.id} already has a file at ${checked.localPath}; each file of a job needs its own path.`,
        ErrorContext.GENERAL_QUEUE_MANAGER,
      );
    }
    const other = elsewhere.get(key(checked.localPath));
    if (other !== undefined) {
      // Two jobs writing one file: whichever completed last would silently replace the other's.
      throw new BitsError(
        Codes.E_SHARING_VIOLATION,
        `Job ${other.id} ("${other.displayName}", ${stateName(other.state)}) already downloads to ${checked.localPath}. Wait for it to finish, cancel it, or choose another path.`,
        ErrorContext.LOCAL_FILE,
      );
    }
    taken.add(key(checked.localPath));
    return checked;
  }

  /**
   * The destinations of every other job that may still write them, by `key`: not completed or cancelled, and not
   * in ERROR (a failed job writes nothing until its owner resumes it, and running a failed `get` again must work;
   * should both then finish, Complete's rule keeps the later one from replacing the other's file).
   */
  private liveDestinations(jobId: string, key: (p: string) => string): Map<string, JobRecord> {
    const destinations = new Map<string, JobRecord>();
    for (const { record } of this.slots.values()) {
      if (record.id === jobId || FINAL_STATES.has(record.state) || record.state === JobState.ERROR) continue;
      for (const f of record.files) destinations.set(key(f.localPath), record);
    }
    return destinations;
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
    this.clearRetry(slot);
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
      this.clearRetry(slot);
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
        this.clearRetry(slot);
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
        this.clearRetry(slot);
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

  /** The job's client certificate loaded for its connections, read once per run (and again after it changed). */
  private clientTls(
    slot: Slot,
    cache: { key?: string; value?: Promise<ClientTlsOptions | undefined> },
  ): Promise<ClientTlsOptions | undefined> {
    const spec = slot.record.clientCertificate;
    const key = JSON.stringify(spec ?? null);
    if (cache.key !== key || !cache.value) {
      cache.key = key;
      cache.value = spec
        ? (async () => {
            const secret = needsSecret(spec) ? await this.options.clientCertificateSecrets?.(slot.record.id) : undefined;
            return (await loadClientCertificate(spec, secret, ErrorContext.GENERAL_TRANSPORT)).tls;
          })()
        : Promise.resolve(undefined);
      // A failure (a file since deleted) is the job's error now, and is read again at the next run or change.
      cache.value.catch(() => (cache.value = undefined));
    }
    return cache.value;
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
    for (const slot of this.slots.values()) {
      this.clearRetry(slot);
      clearTimeout(slot.progressTimer);
    }
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

  // ---- running ----

  private async runJob(slot: Slot, signal: AbortSignal): Promise<void> {
    const job = slot.record;
    // Waiting for a slot is not "no progress"; waiting for a retry is, so a retried run keeps the window running.
    if (!slot.retrying) job.lastProgressAt = Date.now();
    slot.retrying = false;
    this.setState(slot, JobState.CONNECTING);
    slot.rate.reset();
    const agents = new Map<string, { key: string; agent: Agent }>();
    const clientTlsCache = {};
    const deps: RunnerDeps = {
      job,
      signal,
      agentFor: (protocol) => this.agentFor(slot, protocol, agents),
      // The secret store only for a job that names write-only headers: in code-server, an extension host whose
      // browser tab closed keeps running (and holding the lease), but its keychain calls never return, and every
      // job, secrets or not, hung in CONNECTING.
      headers: async () => ({
        ...job.customHeaders,
        ...(job.writeOnlyHeaderNames?.length ? ((await this.options.headerSecrets?.(job.id)) ?? {}) : {}),
      }),
      clientCertificate: () => this.clientTls(slot, clientTlsCache),
      idleLimit: (last) => this.idleLimit(slot, last),
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
    };
    try {
      // Again while files remain: one may be added just as the last one finished.
      while (!signal.aborted && job.files.some((f) => !f.transferred)) await runJobFiles(deps);
    } catch (err) {
      if (signal.aborted || err instanceof TransferStopped) return;
      if (err instanceof FileFailure) this.fail(slot, err.error, err.fileIndex);
      else throw err;
      return;
    }
    if (signal.aborted) return;
    this.enterTransferred(slot);
  }

  /**
   * The job's agent, asked of the provider once per run and protocol, and again only when what vets its
   * connections (security flags, validator source) changed: a snapshot per request would copy the whole job
   * once per file.
   */
  private agentFor(slot: Slot, protocol: 'http:' | 'https:', agents: Map<string, { key: string; agent: Agent }>): Agent {
    const key = `${slot.record.securityFlags}|${slot.record.validator}`;
    const known = agents.get(protocol);
    if (known?.key === key) return known.agent;
    const agent = this.connections.agentFor(this.snapshot(slot), protocol);
    agents.set(protocol, { key, agent });
    return agent;
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

  /** The silence a connection may keep: the stall limit, or less when the no-progress window ends sooner. */
  private idleLimit(slot: Slot, lastActivity: number): IdleLimit {
    const stallMs = this.options.stallTimeoutMs ?? 60_000;
    const job = slot.record;
    if (job.noProgressTimeout > 0) {
      const windowLeft = (job.lastProgressAt ?? lastActivity) + job.noProgressTimeout * 1000 - lastActivity;
      if (windowLeft < stallMs) {
        return {
          ms: Math.max(0, windowLeft),
          error: () => {
            // A retry cut short by the window: the error being retried says more than "no data" does.
            const retried = job.error;
            if (retried) return new BitsError(retried.code, retried.description, retried.context, { transient: true });
            return new BitsError(
              Codes.BG_E_NO_PROGRESS,
              `No data arrived for ${job.noProgressTimeout} s, the job's no-progress timeout. Resume the job to try again.`,
              ErrorContext.GENERAL_TRANSPORT,
              {
                transient: false,
              },
            );
          },
        };
      }
    }
    return {
      ms: stallMs,
      error: () =>
        new BitsError(
          Codes.ERROR_WINHTTP_TIMEOUT,
          `The server sent nothing for ${Math.round(stallMs / 1000)} s; the connection was dropped and will be retried.`,
          ErrorContext.GENERAL_TRANSPORT,
          {
            transient: true,
          },
        ),
    };
  }

  private onBytes(slot: Slot, bytes: number): void {
    const now = Date.now();
    slot.rate.add(bytes, now);
    slot.record.lastProgressAt = now;
    // BITS: the modification time moves when bytes are transferred, too.
    slot.record.times.modified = new Date(now).toISOString();
    this.save(slot);
    const interval = this.options.progressIntervalMs ?? 500;
    if (now - slot.lastProgressEvent >= interval) {
      this.emitProgress(slot);
    } else if (!slot.progressTimer) {
      slot.progressTimer = setTimeout(() => this.emitProgress(slot), interval - (now - slot.lastProgressEvent));
      slot.progressTimer.unref();
    }
  }

  private emitProgress(slot: Slot): void {
    clearTimeout(slot.progressTimer);
    slot.progressTimer = undefined;
    slot.lastProgressEvent = Date.now();
    if (!this.disposed) this.fire('progress', slot);
  }

  /** The last bytes of a run are always reported, even inside the throttle interval. */
  private flushProgress(slot: Slot): void {
    if (slot.progressTimer) this.emitProgress(slot);
  }

  // ---- errors and retries ----

  private fail(slot: Slot, error: BitsError, fileIndex: number): void {
    const job = slot.record;
    const now = Date.now();
    const decision = decideAfterError({
      ...retryOf(error),
      now,
      lastProgressAt: job.lastProgressAt ?? now,
      noProgressTimeoutSeconds: job.noProgressTimeout,
      minimumRetryDelaySeconds: job.minimumRetryDelay,
      floorSeconds: this.floorSeconds,
    });
    job.error = {
      context: error.context,
      code: error.code >>> 0,
      description: error.message + explainFailure(decision, job.noProgressTimeout),
      fileIndex,
      time: new Date(now).toISOString(),
    };
    this.log('warn', `[Engine] job ${job.id} file ${fileIndex}: ${codeName(error.code)} (${formatCode(error.code)}) ${error.message}`);
    if (decision.kind === 'retry') {
      job.retryAt = decision.at;
      this.setState(slot, JobState.TRANSIENT_ERROR);
      this.armRetry(slot, decision.at);
    } else {
      job.retryAt = undefined;
      this.setState(slot, JobState.ERROR);
    }
  }

  private armRetry(slot: Slot, at: number): void {
    this.clearRetry(slot);
    slot.record.retryAt = at;
    // Timers cannot wait longer than about 24.8 days; a longer retry delay is waited for in steps.
    slot.retryTimer = setTimeout(
      () => {
        slot.retryTimer = undefined;
        if (slot.record.state !== JobState.TRANSIENT_ERROR || this.disposed) return;
        if (Date.now() < at) return this.armRetry(slot, at);
        slot.record.retryAt = undefined;
        slot.retrying = true;
        this.setState(slot, JobState.QUEUED);
        this.scheduler.schedule();
      },
      Math.min(MAX_TIMER_MS, Math.max(0, at - Date.now())),
    );
  }

  private clearRetry(slot: Slot): void {
    clearTimeout(slot.retryTimer);
    slot.retryTimer = undefined;
  }
}
