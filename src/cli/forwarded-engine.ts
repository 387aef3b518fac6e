// A job verb of the CLI on a store another process runs (a VS Code window holds its lease): the verb is forwarded
// to that process through the store's command queue (as a second VS Code window forwards its own), the answer
// waited for, and the store's job files read to show the result, so the verb prints what it prints when the CLI
// runs the store itself. Secrets never go through the queue: a client certificate's passphrase stays here.
import { BitsError, Codes, ErrorContext } from '../core/errors';
import type { Disposable } from '../core/event';
import {
  JobState,
  type ClientCertificateSpec,
  type CompleteResult,
  type JobPriority,
  type JobProgress,
  type JobPropertiesPatch,
  type JobRecord,
  type JobSnapshot,
  type NewFileOptions,
  type NewJobOptions,
  type StoreProblem,
} from '../core/model/job';
import { progressOf, RateMeter } from '../core/model/progress';
import { FINAL_STATES } from '../core/model/states';
import { forwardCommand, type ForwardedVerb, type ForwardLimits } from '../core/store/command-queue';
import { StoreView } from '../core/store/store-view';

/** A holder takes a request within its poll interval (200 ms in VS Code); it must answer a verb within this. */
export const DEFAULT_FORWARD_LIMITS: ForwardLimits = { claimTimeoutMs: 5_000, answerTimeoutMs: 30_000 };
const VIEW_POLL_MS = 300;

export class ForwardedEngine {
  readonly storeProblems: readonly StoreProblem[] = [];
  private readonly meters = new Map<string, { meter: RateMeter; bytes: number }>();
  /** The view's timer does not keep a process alive (the editor's follower must not); a waiting verb must. */
  private readonly keepAlive = setInterval(() => undefined, 1 << 30);

  private constructor(
    private readonly view: StoreView,
    /** Who runs the jobs ("the VS Code window of pid 42 (pid 42 on host)"), for messages. */
    readonly forwardedTo: string,
    private readonly limits: ForwardLimits,
  ) {}

  static async open(storeDir: string, holder: string, limits: ForwardLimits = DEFAULT_FORWARD_LIMITS): Promise<ForwardedEngine> {
    const view = new StoreView(storeDir, VIEW_POLL_MS);
    await view.start();
    return new ForwardedEngine(view, holder, limits);
  }

  get onDidChangeJob() {
    return this.view.onDidChangeJob;
  }

  getJob(jobId: string): JobSnapshot | undefined {
    const record = this.view.get(jobId);
    return record ? structuredClone(record) : undefined;
  }

  listAllJobs(): JobSnapshot[] {
    return this.view
      .records()
      .sort((a, b) => a.times.created.localeCompare(b.times.created))
      .map((r) => structuredClone(r));
  }

  listJobs(): JobSnapshot[] {
    return this.listAllJobs().filter((j) => !FINAL_STATES.has(j.state));
  }

  getProgress(jobId: string): JobProgress {
    const record = this.view.get(jobId);
    if (!record) throw new BitsError(Codes.BG_E_NOT_FOUND, `No job ${jobId} in this store.`, ErrorContext.GENERAL_QUEUE_MANAGER);
    return progressOf(record, this.rateOf(record));
  }

  /** The rate as this process sees the job files change (the holder does not write its own). */
  private rateOf(job: JobRecord): number {
    const bytes = progressOf(job, 0).bytesTransferred;
    const seen = this.meters.get(job.id) ?? { meter: new RateMeter(), bytes };
    if (bytes > seen.bytes) seen.meter.add(bytes - seen.bytes);
    seen.bytes = bytes;
    this.meters.set(job.id, seen);
    return job.state === JobState.TRANSFERRING ? seen.meter.rate() : 0;
  }

  private async verb<T>(verb: ForwardedVerb, args: unknown[]): Promise<T> {
    const outcome = await forwardCommand(this.view.storeDir, verb, args, this.limits, async () => this.forwardedTo);
    if (!outcome.taken) {
      // Withdrawn unrun: the holder renews its lease but takes no commands (another CLI, or a window that hangs).
      throw new BitsError(
        Codes.MD_E_STORE_IN_USE,
        `The store ${this.view.storeDir} is in use by ${this.forwardedTo}, which runs its jobs and did not take '${verb}' within ${Math.round(this.limits.claimTimeoutMs / 1000)} s, so nothing was changed. Try again in a moment (or close that process), or use another --store.`,
        ErrorContext.GENERAL_QUEUE_MANAGER,
      );
    }
    // What the verb did, as the holder wrote it, before anything is printed.
    await this.view.reload();
    return outcome.value as T;
  }

  createJob(options: NewJobOptions): Promise<JobSnapshot> {
    return this.verb('createJob', [options]);
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
  setProperties(jobId: string, patch: JobPropertiesPatch): Promise<JobSnapshot> {
    return this.verb('setProperties', [jobId, patch]);
  }
  /** The holder loads the certificate itself; one that needs a passphrase is refused before (see setCommand). */
  setClientCertificate(jobId: string, certificate: ClientCertificateSpec | undefined): Promise<JobSnapshot> {
    return this.verb('setClientCertificate', [jobId, certificate ?? null]);
  }
  removeJob(jobId: string): Promise<void> {
    return this.verb('removeJob', [jobId]);
  }

  /**
   * Resolves once every job is at rest (`atRest`); a job in `since` (its modified time before a verb that moves it)
   * only once the holder has written it again, since until then the store still shows its old state.
   */
  waitForFreshRest(
    jobIds: readonly string[],
    since: ReadonlyMap<string, string>,
    atRest: (job: JobSnapshot) => boolean,
  ): Promise<JobSnapshot[]> {
    return new Promise((resolve) => {
      let sub: Disposable | undefined = undefined;
      const check = () => {
        const jobs = jobIds.map((id) => this.getJob(id)).filter((j): j is JobSnapshot => j !== undefined);
        if (jobs.length === jobIds.length && jobs.every((j) => atRest(j) && j.times.modified !== since.get(j.id))) {
          sub?.dispose();
          sub = undefined;
          resolve(jobs);
          return true;
        }
        return false;
      };
      if (!check()) sub = this.view.onDidChangeJob(() => void check());
    });
  }

  get storeDir(): string {
    return this.view.storeDir;
  }

  async dispose(): Promise<void> {
    clearInterval(this.keepAlive);
    this.view.dispose();
  }
}
