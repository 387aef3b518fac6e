// The public API (src/api.ts) over the engine: one client per calling extension, which sees and acts on
// its own jobs only, and gets BITS's three notifications for them. The caller is identified from the stack
// (callerExtension.ts); write-only headers go to SecretStorage (headerSecrets.ts), never to the job store.
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type * as api from '../api';
import { BitsError, codeName, Codes, ErrorContext } from '../core/errors';
import { JobPriority, JobState, type JobChangeEvent, type JobSnapshot } from '../core/model/job';
import { checkHeaders } from '../core/model/validation';
import { callerFile, extensionOwning } from './callerExtension';
import type { EngineHost } from './engineHost';
import type { HeaderSecrets } from './headerSecrets';
import { applyClientCertificate, specFromApiOptions, type ClientCertificateSecrets } from './clientCertificateSecrets';
import type { ClientCertificateRecord } from '../core/model/job';
import type { Logger } from './log';
import { ReplayingEvent, type Arrival } from './replayingEvent';
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
    autoComplete: job.autoComplete ?? false,
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
    ...(job.clientCertificate ? { clientCertificate: toPublicClientCertificate(job.clientCertificate) } : {}),
  };
}

/** Headers that carry credentials: kept write-only even when passed in `customHeaders`. */
const credentialHeaders = new Set(['authorization', 'proxy-authorization', 'cookie']);

/**
 * Splits a job's headers into those recorded with the job and those kept in the secret store: every
 * `writeOnlyHeaders` entry, and credential headers wherever they were given. Checked with the engine's rules
 * (name syntax, no line breaks, reserved names, total length) before anything is stored.
 */
function splitHeaders(custom: unknown, writeOnlyIn: unknown): { plain: Record<string, string>; writeOnly: Record<string, string> } {
  const given = checkHeaders(custom);
  const writeOnly = checkHeaders(writeOnlyIn);
  const plain: Record<string, string> = {};
  for (const [name, value] of Object.entries(given)) {
    if (credentialHeaders.has(name.toLowerCase())) writeOnly[name] = value;
    else plain[name] = value;
  }
  const lowerWriteOnly = new Set(Object.keys(writeOnly).map((n) => n.toLowerCase()));
  for (const name of Object.keys(plain)) if (lowerWriteOnly.has(name.toLowerCase())) delete plain[name];
  checkHeaders({ ...plain, ...writeOnly });
  return { plain, writeOnly };
}

// ---- client certificates ----
function toPublicClientCertificate(c: ClientCertificateRecord): api.ClientCertificateInfo {
  return {
    format: c.format,
    source: c.source === 'secret' ? 'secretStorage' : 'file',
    ...(c.certFile ? { certFile: c.certFile } : {}),
    ...(c.keyFile ? { keyFile: c.keyFile } : {}),
    ...(c.pfxFile ? { pfxFile: c.pfxFile } : {}),
    subject: c.subject,
    sha1Thumbprint: c.sha1Thumbprint,
    notAfter: c.notAfter,
  };
}
// ---- end of client certificates ----

function toPriority(value: api.DownloadJobPriority | undefined): JobPriority | undefined {
  if (value === undefined) return undefined;
  const p = (JobPriority as unknown as Record<string, JobPriority>)[value];
  if (p === undefined)
    throw new BitsError(Codes.E_INVALIDARG, `"${String(value)}" is not a priority. Use FOREGROUND, HIGH, NORMAL or LOW.`);
  return p;
}

/** When a job arrived in the state it is in (TRANSFERRED or ERROR): tells this arrival from a later one. */
function arrivalKey(job: JobSnapshot): string {
  return (job.state === JobState.TRANSFERRED ? job.times.transferCompleted : job.error?.time) ?? job.times.modified;
}

class Client implements vscode.Disposable {
  // BITS's JobTransferred and JobError fire even when the job got there before the callback was set: a listener
  // hears of the jobs already waiting when it subscribes (replayingEvent.ts), so a reload loses none.
  private readonly transferEvents = new ReplayingEvent<api.DownloadJobEvent>(
    () => this.arrivalsIn(JobState.TRANSFERRED),
    (err) => this.listenerFailed('onDidTransfer', err),
  );
  private readonly errorEvents = new ReplayingEvent<api.DownloadJobEvent>(
    () => this.arrivalsIn(JobState.ERROR),
    (err) => this.listenerFailed('onDidError', err),
  );
  private readonly modifyEmitter = new vscode.EventEmitter<api.DownloadJobModificationEvent>();
  readonly onDidTransfer: vscode.Event<api.DownloadJobEvent> = this.transferEvents.event;
  readonly onDidError: vscode.Event<api.DownloadJobEvent> = this.errorEvents.event;
  readonly onDidModify = this.modifyEmitter.event;

  constructor(
    readonly owner: string,
    private readonly engines: EngineHost,
    private readonly validators: () => CertificateValidatorSink | undefined,
    private readonly secrets: HeaderSecrets,
    private readonly log: Logger,
    private readonly clientCertificates: () => ClientCertificateSecrets | undefined = () => undefined,
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
    // Any event of a job that waits counts, not only its transition: a window that reloads or takes over the store
    // learns of the jobs as 'created' or 'modified'. Each listener hears each arrival once.
    for (const [state, events] of [
      [JobState.TRANSFERRED, this.transferEvents],
      [JobState.ERROR, this.errorEvents],
    ] as const) {
      if (e.kind !== 'removed' && e.job.state === state) events.arrived({ jobId: job.id, key: arrivalKey(e.job), event: { job } });
      else events.left(job.id);
    }
  }

  /** This client's jobs that wait in `state` now, for a listener that has just subscribed. */
  private async arrivalsIn(state: JobState): Promise<Arrival<api.DownloadJobEvent>[]> {
    const engine = await this.engines.get();
    return engine
      .listJobs()
      .filter((j) => j.owner === this.owner && j.state === state)
      .map((j) => ({ jobId: j.id, key: arrivalKey(j), event: { job: toPublicJob(j) } }));
  }

  private listenerFailed(event: string, err: unknown): void {
    this.log.error(`a listener of ${this.owner} on ${event} threw: ${err instanceof Error ? err.message : String(err)}`);
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
    const { plain, writeOnly } = splitHeaders(options.customHeaders, options.writeOnlyHeaders);
    const engine = await this.engines.get();
    const job = await engine.createJob({
      displayName: options.displayName,
      description: options.description ?? '',
      owner: this.owner,
      ...(options.priority === undefined ? {} : { priority: toPriority(options.priority) }),
      minimumRetryDelay: options.minimumRetryDelay ?? settings.minimumRetryDelay(),
      noProgressTimeout: options.noProgressTimeout ?? settings.noProgressTimeout(),
      ...(options.securityFlags === undefined ? {} : { securityFlags: options.securityFlags }),
      customHeaders: plain,
      autoComplete: options.autoComplete ?? false,
      validator: 'none',
    });
    if (Object.keys(writeOnly).length) {
      // The job is SUSPENDED: no request goes out before its secret headers are in place. If the secret
      // store refuses them, the job is cancelled rather than left to run without them.
      try {
        const names = await this.secrets.setAll(job.id, writeOnly);
        await engine.setProperties(job.id, { writeOnlyHeaderNames: names });
      } catch (err) {
        await engine.cancel(job.id).catch(() => undefined);
        await this.secrets.forget(job.id).catch(() => undefined);
        throw new BitsError(
          Codes.E_FAIL,
          `The write-only headers of "${job.displayName}" could not be kept in VS Code's secret store (${err instanceof Error ? err.message : String(err)}); the job was not created.`,
        );
      }
    }
    this.log.info(
      `${this.owner} created job "${job.displayName}" (${job.id})${Object.keys(writeOnly).length ? `; write-only headers: ${Object.keys(writeOnly).join(', ')}` : ''}`,
    );
    return toPublicJob(engine.getJob(job.id) ?? job);
  }

  async setWriteOnlyHeader(jobId: string, name: string, value: string | undefined): Promise<string[]> {
    const job = await this.own(jobId);
    // A finished job sends nothing more; a secret stored for it would only linger in the keychain.
    if (job.state === JobState.CANCELLED || job.state === JobState.ACKNOWLEDGED) {
      throw new BitsError(Codes.BG_E_INVALID_STATE, `Job ${jobId} is ${JobState[job.state]}: it takes no more headers.`);
    }
    if (typeof name !== 'string') throw new BitsError(Codes.E_INVALIDARG, 'setWriteOnlyHeader needs a header name.');
    checkHeaders({ [name]: value ?? '' });
    const names = await this.secrets.set(jobId, name, value);
    await (await this.engines.get()).setProperties(jobId, { writeOnlyHeaderNames: names });
    this.log.info(`${this.owner} ${value === undefined ? 'removed' : 'set'} write-only header ${name} of job ${jobId}`);
    return names;
  }

  async setAutoComplete(jobId: string, autoComplete: boolean): Promise<api.DownloadJob> {
    await this.own(jobId);
    if (typeof autoComplete !== 'boolean') throw new BitsError(Codes.E_INVALIDARG, 'setAutoComplete needs true or false.');
    // A job that already waits in TRANSFERRED is completed at once by the engine that runs it.
    const job = await (await this.engines.get()).setProperties(jobId, { autoComplete });
    this.log.info(`${this.owner} turned auto-complete ${autoComplete ? 'on' : 'off'} for job ${jobId}`);
    return toPublicJob(job);
  }

  async setFileSha256(jobId: string, fileIndex: number, sha256: string | undefined): Promise<api.DownloadJob> {
    await this.own(jobId);
    // Checked by the engine that runs the job (index, hex, a file not yet transferred, a job not final).
    const job = await (await this.engines.get()).setProperties(jobId, { fileSha256: [{ fileIndex, sha256: sha256 ?? null }] });
    this.log.info(
      `${this.owner} ${sha256 === undefined ? 'dropped the checksum of' : 'set the checksum of'} file ${fileIndex} of job ${jobId}`,
    );
    return toPublicJob(job);
  }

  async addFile(jobId: string, file: api.AddFileOptions): Promise<api.DownloadJob> {
    await this.own(jobId);
    const engine = await this.engines.get();
    return toPublicJob(
      await engine.addFile(jobId, {
        remoteUrl: file?.remoteUrl,
        localPath: file?.localPath,
        ...(file?.sha256 ? { sha256: file.sha256 } : {}),
      }),
    );
  }

  async addFiles(jobId: string, files: readonly api.AddFileOptions[]): Promise<api.DownloadJob> {
    await this.own(jobId);
    // Only the fields the API names reach the engine, which checks every entry (and an empty or missing array).
    const given = Array.isArray(files)
      ? files.map((file) => ({
          remoteUrl: file?.remoteUrl,
          localPath: file?.localPath,
          ...(file?.sha256 ? { sha256: file.sha256 } : {}),
        }))
      : files;
    const job = await (await this.engines.get()).addFiles(jobId, given);
    this.log.info(`${this.owner} added ${given.length} files to job ${jobId}`);
    return toPublicJob(job);
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
    return engine
      .listJobs()
      .filter((j) => j.owner === this.owner)
      .map(toPublicJob);
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

  // ---- client certificates ----
  async setClientCertificate(jobId: string, certificate: api.ClientCertificateOptions | undefined): Promise<api.DownloadJob> {
    await this.own(jobId);
    const secrets = this.clientCertificates();
    if (!secrets) throw new BitsError(Codes.E_FAIL, 'Client certificates are not available in this version of Managed Downloads.');
    const given = certificate === undefined ? undefined : specFromApiOptions(certificate);
    const job = await applyClientCertificate(await this.engines.get(), secrets, jobId, given?.spec, given?.secret);
    // The subject and thumbprint only: never the key, the data or the passphrase.
    this.log.info(
      `${this.owner} ${job.clientCertificate ? `set the client certificate of job ${jobId} to ${job.clientCertificate.subject}` : `removed the client certificate of job ${jobId}`}`,
    );
    return toPublicJob(job);
  }
  // ---- end of client certificates ----

  dispose(): void {
    this.transferEvents.dispose();
    this.errorEvents.dispose();
    this.modifyEmitter.dispose();
  }
}

/** Who called forExtension: the id of the extension whose code made the call, or undefined when unknown. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- the API function on the stack
export type CallerIdentifier = (below: Function) => string | undefined;

/** Reads the caller from the stack and maps it to an installed extension (see callerExtension.ts). */
export const callerFromStack: CallerIdentifier = (below) => {
  const file = callerFile(below);
  if (!file) return undefined;
  // Node names a module by its real path; an extension installed through a symlink (a common dev setup) has
  // its folder under the link's name: both count.
  const installed = vscode.extensions.all.flatMap((e) => {
    const folder = e.extensionUri.fsPath;
    let real = folder;
    try {
      real = fs.realpathSync(folder);
    } catch {
      // a folder that cannot be resolved keeps its own name
    }
    return real === folder
      ? [{ id: e.id, folder }]
      : [
          { id: e.id, folder },
          { id: e.id, folder: real },
        ];
  });
  return extensionOwning(file, installed);
};

/**
 * A client as its extension gets it: frozen, and made of closures only, so nothing on it leads to the engine,
 * another client or the emitters (a class instance would expose its private fields at run time).
 */
function clientFacade(c: Client): api.ManagedDownloadsClient {
  return Object.freeze({
    owner: c.owner,
    createJob: (options: api.CreateJobOptions) => c.createJob(options),
    addFile: (jobId: string, file: api.AddFileOptions) => c.addFile(jobId, file),
    addFiles: (jobId: string, files: readonly api.AddFileOptions[]) => c.addFiles(jobId, files),
    resume: (jobId: string) => c.resume(jobId),
    suspend: (jobId: string) => c.suspend(jobId),
    cancel: (jobId: string) => c.cancel(jobId),
    complete: (jobId: string) => c.complete(jobId),
    setPriority: (jobId: string, priority: api.DownloadJobPriority) => c.setPriority(jobId, priority),
    retryNow: (jobId: string) => c.retryNow(jobId),
    getJobs: () => c.getJobs(),
    getJob: (jobId: string) => c.getJob(jobId),
    getProgress: (jobId: string) => c.getProgress(jobId),
    setCertificateValidator: (jobId: string, validator: api.ServerCertificateValidator | undefined) =>
      c.setCertificateValidator(jobId, validator),
    setWriteOnlyHeader: (jobId: string, name: string, value: string | undefined) => c.setWriteOnlyHeader(jobId, name, value),
    setAutoComplete: (jobId: string, autoComplete: boolean) => c.setAutoComplete(jobId, autoComplete),
    setFileSha256: (jobId: string, fileIndex: number, sha256: string | undefined) => c.setFileSha256(jobId, fileIndex, sha256),
    setClientCertificate: (jobId: string, certificate: api.ClientCertificateOptions | undefined) =>
      c.setClientCertificate(jobId, certificate),
    onDidTransfer: c.onDidTransfer,
    onDidError: c.onDidError,
    onDidModify: c.onDidModify,
  });
}

/**
 * The clients of the public API, one per calling extension. What `activate()` returns is `exported`: a frozen
 * object with `apiVersion` and `forExtension` only. `clientFor` (a client for any owner, without the caller
 * check) stays inside the extension; only its own tests reach it, through the test-mode command.
 */
export class ApiClients implements vscode.Disposable {
  private readonly clients = new Map<string, { impl: Client; facade: api.ManagedDownloadsClient }>();
  private validatorSink: CertificateValidatorSink | undefined;
  readonly exported: api.ManagedDownloadsApi;

  constructor(
    private readonly engines: EngineHost,
    private readonly log: Logger,
    private readonly secrets: HeaderSecrets,
    identifyCaller: CallerIdentifier = callerFromStack,
  ) {
    engines.whenOpen((engine) => engine.onDidChangeJob((e) => this.clients.forEach((c) => c.impl.deliver(e))));
    const forExtension = (extensionId: string): api.ManagedDownloadsClient => {
      if (typeof extensionId !== 'string' || !extensionId.trim() || reservedOwners.has(extensionId)) {
        throw new BitsError(
          Codes.E_INVALIDARG,
          `forExtension needs your extension's id (context.extension.id), not "${String(extensionId)}".`,
        );
      }
      const caller = identifyCaller(forExtension);
      if (!caller) {
        throw new BitsError(
          Codes.E_ACCESSDENIED,
          `forExtension could not tell which extension called it, so it gives no client for ${extensionId}. Call it from your extension's own code.`,
        );
      }
      if (caller.toLowerCase() !== extensionId.toLowerCase()) {
        this.log.warn(`${caller} asked for the client of ${extensionId}; refused`);
        throw new BitsError(
          Codes.E_ACCESSDENIED,
          `forExtension was called by ${caller}, which can only get its own client: pass context.extension.id ("${caller}"), not "${extensionId}".`,
        );
      }
      return this.clientFor(caller);
    };
    this.exported = Object.freeze({ apiVersion: 1 as const, forExtension });
  }

  // ---- client certificates ----
  private clientCertificateStore: ClientCertificateSecrets | undefined;
  /** Where setClientCertificate keeps passphrases and certificate data (VS Code's SecretStorage). */
  setClientCertificateStore(store: ClientCertificateSecrets): void {
    this.clientCertificateStore = store;
  }
  // ---- end of client certificates ----

  /** Connects setCertificateValidator to the certificate service. */
  setValidatorSink(sink: CertificateValidatorSink | undefined): void {
    this.validatorSink = sink;
  }

  /** The client of `owner`, unchecked: for forExtension (after its check) and the extension's own tests. */
  clientFor(owner: string): api.ManagedDownloadsClient {
    const key = owner.toLowerCase();
    let entry = this.clients.get(key);
    if (!entry) {
      const impl = new Client(
        owner,
        this.engines,
        () => this.validatorSink,
        this.secrets,
        this.log,
        () => this.clientCertificateStore,
      );
      entry = { impl, facade: clientFacade(impl) };
      this.clients.set(key, entry);
    }
    return entry.facade;
  }

  dispose(): void {
    this.clients.forEach((c) => c.impl.dispose());
    this.clients.clear();
  }
}
