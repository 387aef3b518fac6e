// The public API (src/api.ts) over the engine: one client per calling extension, which sees and acts on
// its own jobs only, and gets BITS's three notifications for them.
import * as vscode from 'vscode';
import type * as api from '../api';
import { BitsError, codeName, Codes, ErrorContext } from '../core/errors';
import { JobPriority, JobState, type JobChangeEvent, type JobSnapshot } from '../core/jobs/model';
import type { EngineHost } from './engineHost';
import type { Logger } from './log';
import { settings } from './settings';

/** Where setCertificateValidator goes; provided by the certificate service once it is built. */
export interface CertificateValidatorSink {
  setJobValidator(jobId: string, validator: api.ServerCertificateValidator | undefined): Promise<void>;
}

/** Owners the extension itself uses; an extension cannot take them. */
const reservedOwners = new Set(['workspace', 'cli']);

export function toPublicJob(job: JobSnapshot): api.DownloadJob {
  return {
    id: job.id,
    displayName: job.displayName,
    description: job.description,
    owner: job.owner,
    state: JobState[job.state] as api.DownloadJobState,
    priority: JobPriority[job.priority] as api.DownloadJobPriority,
    files: job.files.map((f) => ({
      remoteUrl: f.remoteUrl,
      localPath: f.localPath,
      bytesTotal: f.bytesTotal,
      bytesTransferred: f.bytesTransferred,
      transferred: f.transferred,
      ...(f.sha256 ? { sha256: f.sha256 } : {}),
      ...(f.finalUrl ? { finalUrl: f.finalUrl } : {}),
    })),
    times: { ...job.times },
    minimumRetryDelay: job.minimumRetryDelay,
    noProgressTimeout: job.noProgressTimeout,
    securityFlags: job.securityFlags,
    ...(job.error
      ? {
          error: {
            context: ErrorContext[job.error.context] as api.DownloadErrorContext,
            code: job.error.code,
            codeName: codeName(job.error.code),
            description: job.error.description,
            ...(job.error.fileIndex === undefined ? {} : { fileIndex: job.error.fileIndex }),
            time: job.error.time,
          },
        }
      : {}),
    ...(job.retryAt === undefined ? {} : { retryAt: new Date(job.retryAt).toISOString() }),
  };
}

function toPriority(value: api.DownloadJobPriority | undefined): JobPriority | undefined {
  if (value === undefined) return undefined;
  const p = (JobPriority as unknown as Record<string, JobPriority>)[value];
  if (p === undefined) throw new BitsError(Codes.E_INVALIDARG, `"${String(value)}" is not a priority. Use FOREGROUND, HIGH, NORMAL or LOW.`);
  return p;
}

class Client implements api.ManagedDownloadsClient, vscode.Disposable {
  private readonly transferEmitter = new vscode.EventEmitter<api.DownloadJobEvent>();
  private readonly errorEmitter = new vscode.EventEmitter<api.DownloadJobEvent>();
  private readonly modifyEmitter = new vscode.EventEmitter<api.DownloadJobModificationEvent>();
  readonly onDidTransfer = this.transferEmitter.event;
  readonly onDidError = this.errorEmitter.event;
  readonly onDidModify = this.modifyEmitter.event;

  constructor(
    readonly owner: string,
    private readonly engines: EngineHost,
    private readonly validators: () => CertificateValidatorSink | undefined,
    private readonly log: Logger,
  ) {}

  /** Called for every engine event; forwards those of this client's jobs. */
  deliver(e: JobChangeEvent): void {
    if (e.job.owner !== this.owner) return;
    const job = toPublicJob(e.job);
    this.modifyEmitter.fire({
      job,
      kind: e.kind,
      ...(e.previousState === undefined ? {} : { previousState: JobState[e.previousState] as api.DownloadJobState }),
    });
    if (e.kind === 'state' && e.previousState !== e.job.state) {
      if (e.job.state === JobState.TRANSFERRED) this.transferEmitter.fire({ job });
      if (e.job.state === JobState.ERROR) this.errorEmitter.fire({ job });
    }
  }

  /** The job, if it exists and is this client's; an access error otherwise (BITS: E_ACCESSDENIED). */
  private async own(jobId: string): Promise<JobSnapshot> {
    if (typeof jobId !== 'string') throw new BitsError(Codes.E_INVALIDARG, 'A job id (string) is required.');
    const engine = await this.engines.get();
    const job = engine.getJob(jobId);
    if (!job) throw new BitsError(Codes.BG_E_NOT_FOUND, `There is no job with id ${jobId}.`);
    if (job.owner !== this.owner) {
      throw new BitsError(Codes.E_ACCESSDENIED, `Job ${jobId} belongs to ${job.owner}, not to ${this.owner}.`);
    }
    return job;
  }

  async createJob(options: api.CreateJobOptions): Promise<api.DownloadJob> {
    if (!options || typeof options.displayName !== 'string' || !options.displayName.trim()) {
      throw new BitsError(Codes.E_INVALIDARG, 'createJob needs a displayName.');
    }
    const engine = await this.engines.get();
    const job = await engine.createJob({
      displayName: options.displayName,
      description: options.description ?? '',
      owner: this.owner,
      ...(options.priority === undefined ? {} : { priority: toPriority(options.priority) }),
      minimumRetryDelay: options.minimumRetryDelay ?? settings.minimumRetryDelay(),
      noProgressTimeout: options.noProgressTimeout ?? settings.noProgressTimeout(),
      ...(options.securityFlags === undefined ? {} : { securityFlags: options.securityFlags }),
      ...(options.customHeaders === undefined ? {} : { customHeaders: options.customHeaders }),
      autoComplete: options.autoComplete ?? false,
      validator: 'none',
    });
    this.log.info(`${this.owner} created job "${job.displayName}" (${job.id})`);
    return toPublicJob(job);
  }

  async addFile(jobId: string, file: api.AddFileOptions): Promise<api.DownloadJob> {
    await this.own(jobId);
    const engine = await this.engines.get();
    return toPublicJob(await engine.addFile(jobId, { remoteUrl: file?.remoteUrl, localPath: file?.localPath, ...(file?.sha256 ? { sha256: file.sha256 } : {}) }));
  }

  async resume(jobId: string): Promise<void> {
    await this.own(jobId);
    await (await this.engines.get()).resume(jobId);
  }

  async suspend(jobId: string): Promise<void> {
    await this.own(jobId);
    await (await this.engines.get()).suspend(jobId);
  }

  async cancel(jobId: string): Promise<{ code: number }> {
    await this.own(jobId);
    return (await this.engines.get()).cancel(jobId);
  }

  async complete(jobId: string): Promise<api.CompleteJobResult> {
    await this.own(jobId);
    return (await this.engines.get()).complete(jobId);
  }

  async setPriority(jobId: string, priority: api.DownloadJobPriority): Promise<void> {
    await this.own(jobId);
    const p = toPriority(priority);
    if (p === undefined) throw new BitsError(Codes.E_INVALIDARG, 'setPriority needs a priority.');
    await (await this.engines.get()).setPriority(jobId, p);
  }

  async retryNow(jobId: string): Promise<void> {
    await this.own(jobId);
    await (await this.engines.get()).retryNow(jobId);
  }

  async getJobs(): Promise<api.DownloadJob[]> {
    const engine = await this.engines.get();
    return engine.listJobs().filter((j) => j.owner === this.owner).map(toPublicJob);
  }

  async getJob(jobId: string): Promise<api.DownloadJob | undefined> {
    const engine = await this.engines.get();
    const job = engine.getJob(jobId);
    return job && job.owner === this.owner ? toPublicJob(job) : undefined;
  }

  async getProgress(jobId: string): Promise<api.DownloadProgress> {
    await this.own(jobId);
    return (await this.engines.get()).getProgress(jobId);
  }

  async setCertificateValidator(jobId: string, validator: api.ServerCertificateValidator | undefined): Promise<void> {
    await this.own(jobId);
    if (validator !== undefined && typeof validator !== 'function') {
      throw new BitsError(Codes.E_INVALIDARG, 'setCertificateValidator needs a function (or undefined to remove it).');
    }
    const sink = this.validators();
    if (!sink) {
      throw new BitsError(Codes.E_FAIL, 'Certificate validation is not available in this version of Managed Downloads.');
    }
    await sink.setJobValidator(jobId, validator);
    this.log.info(`${this.owner} ${validator ? 'set' : 'removed'} the certificate validator of job ${jobId}`);
  }

  dispose(): void {
    this.transferEmitter.dispose();
    this.errorEmitter.dispose();
    this.modifyEmitter.dispose();
  }
}

export class PublicApi implements api.ManagedDownloadsApi, vscode.Disposable {
  readonly apiVersion = 1 as const;
  private readonly clients = new Map<string, Client>();
  private validatorSink: CertificateValidatorSink | undefined;

  constructor(
    private readonly engines: EngineHost,
    private readonly log: Logger,
  ) {
    engines.whenOpen((engine) => engine.onDidChangeJob((e) => this.clients.forEach((c) => c.deliver(e))));
  }

  /** Connects setCertificateValidator to the certificate service. */
  setValidatorSink(sink: CertificateValidatorSink | undefined): void {
    this.validatorSink = sink;
  }

  forExtension(extensionId: string): api.ManagedDownloadsClient {
    if (typeof extensionId !== 'string' || !extensionId.trim() || reservedOwners.has(extensionId)) {
      throw new BitsError(Codes.E_INVALIDARG, `forExtension needs your extension's id (context.extension.id), not "${String(extensionId)}".`);
    }
    let client = this.clients.get(extensionId);
    if (!client) {
      client = new Client(extensionId, this.engines, () => this.validatorSink, this.log);
      this.clients.set(extensionId, client);
    }
    return client;
  }

  dispose(): void {
    this.clients.forEach((c) => c.dispose());
    this.clients.clear();
  }
}
