/**
 * The public API of the Managed Downloads extension: BITS-style download jobs for other extensions.
 *
 * To get the types, copy this file and `src/validator/managed-downloads-validator.d.ts` (the validator's
 * contract, shared with workspace validator files) into your extension; they need only `vscode`'s types.
 *
 * @example
 * ```ts
 * const ext = vscode.extensions.getExtension<ManagedDownloadsApi>('managed-downloads.managed-downloads');
 * const downloads = (await ext!.activate()).forExtension(context.extension.id);
 * // Subscribe at activation: jobs that finished while your extension was not running are announced too.
 * context.subscriptions.push(downloads.onDidTransfer(async ({ job }) => { await downloads.complete(job.id); }));
 * const job = await downloads.createJob({ displayName: 'Node.js 22 runtime' });
 * await downloads.addFile(job.id, { remoteUrl: 'https://example.com/node.tar.gz', localPath: '/abs/path/node.tar.gz' });
 * await downloads.resume(job.id);
 * ```
 *
 * ## Events are not lost while your extension is away
 * A job keeps downloading when your extension is not active (the window reloads, VS Code restarts, another window
 * runs the jobs). As with BITS's notify interface, `onDidTransfer` and `onDidError` fire even when the job got there
 * before you subscribed: a new listener is told, soon after it subscribes, of each of your jobs that waits in
 * TRANSFERRED (respectively ERROR), then of later arrivals as they happen. A listener hears each arrival once (a job
 * that fails again after a retry is announced again). `onDidModify` is not replayed: read the current state with
 * `getJobs()` after subscribing. Or let the job finish by itself: `autoComplete` (at `createJob`, or later with
 * `setAutoComplete`) puts the files in place as soon as they have all arrived, also when that happened while no
 * window was open.
 * ```ts
 * // After a reload: every job that waits for you is announced to these listeners, none is missed.
 * context.subscriptions.push(
 *   downloads.onDidTransfer(({ job }) => void downloads.complete(job.id)),
 *   downloads.onDidError(({ job }) => console.warn(`${job.displayName}: ${job.error?.description}`)),
 * );
 * ```
 *
 * ## Who can reach which jobs (the threat model)
 * `forExtension(id)` gives a client only to the extension whose code calls it: the caller is read from the
 * call stack (the file of the calling frame, mapped to the installed extension whose folder holds it, as VS
 * Code itself does to blame an extension for an error), and an id that is not the caller's is refused with
 * E_ACCESSDENIED (0x80070005). A client lists, changes and cancels only the jobs its extension created. The
 * API object and the clients are frozen and carry no route to the engine.
 *
 * What this does not do: every extension runs in the same extension host process, with your user's rights.
 * An extension written to attack another (one that patches Node's `Error` or module loader, evaluates code
 * under another extension's file name, reads the job store or the other extension's files from disk) is not
 * stopped by this API; VS Code has no isolation between extensions to build that on. The binding stops an
 * extension from reaching another's jobs through the API by naming another id, by mistake or on purpose,
 * and a client object handed to another extension acts for the extension that got it. Install only
 * extensions you trust, as with any VS Code extension.
 *
 * ## Which validator checks an API job (phase 2)
 * Every HTTPS connection passes phase 1 (the platform's check, relaxed only by the job's security flags) and
 * then phase 2, decided at each connection (not when the job was made):
 * - the validator you set with `setCertificateValidator`, when you set one (it wins over the workspace's);
 * - otherwise the workspace's validator (the file named by `managedDownloads.certificateValidator`)
 *   whenever one is configured, so a job of yours without a validator of its own is checked by it exactly
 *   like a job made in the UI; if that file cannot run (missing, does not compile, or named in the user's
 *   settings while the workspace is untrusted), the connection fails with
 *   BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED rather than skip phase 2;
 * - only when neither exists does phase 1 decide alone. In an untrusted workspace (Restricted Mode) the
 *   folder's own validator setting is not in force (VS Code hides it), so there only your validator or
 *   one in the user's settings can add phase 2.
 * A refusal in phase 2 leaves the job in TRANSIENT_ERROR with context SERVER_CERTIFICATE_CALLBACK, and no
 * request byte reaches the server.
 *
 * Every method that fails rejects with an `Error` whose `name` is `"BitsError"`, whose `code` is an
 * HRESULT (for example `0x80200003` BG_E_EMPTY for resuming a job without files, `0x80200002`
 * BG_E_INVALID_STATE for a verb the job's state does not allow) and whose `message` says what to do.
 */
import type { Event } from 'vscode';
import type { Validator } from './validator/managed-downloads-validator';

/** BG_JOB_STATE. A job starts SUSPENDED; `resume` queues it; ACKNOWLEDGED and CANCELLED are final. */
export type DownloadJobState =
  'QUEUED' | 'CONNECTING' | 'TRANSFERRING' | 'SUSPENDED' | 'ERROR' | 'TRANSIENT_ERROR' | 'TRANSFERRED' | 'ACKNOWLEDGED' | 'CANCELLED';

/** BG_JOB_PRIORITY: FOREGROUND first; jobs of equal priority share the transfer slots. */
export type DownloadJobPriority = 'FOREGROUND' | 'HIGH' | 'NORMAL' | 'LOW';

/** BG_ERROR_CONTEXT: where an error happened. */
export type DownloadErrorContext =
  | 'NONE'
  | 'UNKNOWN'
  | 'GENERAL_QUEUE_MANAGER'
  | 'QUEUE_MANAGER_NOTIFICATION'
  | 'LOCAL_FILE'
  | 'REMOTE_FILE'
  | 'GENERAL_TRANSPORT'
  | 'REMOTE_APPLICATION'
  | 'SERVER_CERTIFICATE_CALLBACK';

/** A job's error: the BITS triple of context, HRESULT code and description. */
export interface DownloadJobError {
  readonly context: DownloadErrorContext;
  /** The HRESULT, unsigned (e.g. 0x80190194 for HTTP 404). */
  readonly code: number;
  /** The code's symbolic name, e.g. `BG_E_HTTP_ERROR_404`. */
  readonly codeName: string;
  readonly description: string;
  /** Index of the file that failed, when one did. */
  readonly fileIndex?: number;
  /** ISO time of the error. */
  readonly time: string;
}

export interface DownloadFile {
  readonly remoteUrl: string;
  /** Absolute final path. Nothing is written there before the job is completed. */
  readonly localPath: string;
  /** null while the size is unknown. */
  readonly bytesTotal: number | null;
  readonly bytesTransferred: number;
  /** Every byte has arrived (in a temporary file until the job is completed). */
  readonly transferred: boolean;
  readonly sha256?: string;
  /** Where a redirect led, when the redirect policy reports it. */
  readonly finalUrl?: string;
}

export interface DownloadJob {
  readonly id: string;
  readonly displayName: string;
  readonly description: string;
  /** The extension that created the job (or `workspace` for jobs made in the UI). */
  readonly owner: string;
  readonly state: DownloadJobState;
  readonly priority: DownloadJobPriority;
  readonly files: readonly DownloadFile[];
  /** ISO times. */
  readonly times: { readonly created: string; readonly modified: string; readonly transferCompleted?: string };
  /** Seconds in TRANSIENT_ERROR before an automatic retry. */
  readonly minimumRetryDelay: number;
  /** Seconds without progress after which a transient error becomes ERROR. */
  readonly noProgressTimeout: number;
  /** BITS SetSecurityFlags bits (BG_SSL_*, BG_HTTP_REDIRECT_POLICY_*). */
  readonly securityFlags: number;
  /** The job completes by itself once every file has arrived (see `CreateJobOptions.autoComplete`). */
  readonly autoComplete: boolean;
  readonly error?: DownloadJobError;
  /** ISO time of the next automatic retry, while in TRANSIENT_ERROR. */
  readonly retryAt?: string;
  /** The job's client certificate (BITS GetClientCertificate), when it has one. */
  readonly clientCertificate?: ClientCertificateInfo;
}

// ---- client certificates (BITS SetClientCertificate) ----

/**
 * A client certificate for servers that require one: PEM (certificate, and its key in the same text or file or
 * apart) or PKCS#12, from a file (read at each run; the job records the path) or given as data (kept in VS Code's
 * SecretStorage, never in the job store). The passphrase, if any, is kept in SecretStorage too.
 */
export type ClientCertificateOptions =
  | { certFile: string; keyFile?: string; passphrase?: string }
  | { pfxFile: string; passphrase?: string }
  | { cert: string; key?: string; passphrase?: string }
  | { pfx: Uint8Array; passphrase?: string };

/** What a job says of its client certificate: never the key, the data or the passphrase. */
export interface ClientCertificateInfo {
  readonly format: 'pem' | 'pkcs12';
  /** 'file': read from certFile/keyFile or pfxFile; 'secretStorage': the data was given and is kept there. */
  readonly source: 'file' | 'secretStorage';
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly pfxFile?: string;
  readonly subject: string;
  /** SHA-1 of the certificate, colon-separated hex (the thumbprint BITS identifies it by). */
  readonly sha1Thumbprint: string;
  /** ISO time it expires. */
  readonly notAfter: string;
}

// ---- end of client certificates ----

export interface DownloadProgress {
  /** null while any file's size is unknown. */
  readonly bytesTotal: number | null;
  readonly bytesTransferred: number;
  readonly filesTotal: number;
  readonly filesTransferred: number;
  /** Bytes per second over the last few seconds. */
  readonly rate: number;
}

export interface CreateJobOptions {
  displayName: string;
  description?: string;
  /** Default NORMAL. */
  priority?: DownloadJobPriority;
  /** Seconds, at least 5. Default: the user's `managedDownloads.minimumRetryDelay`. */
  minimumRetryDelay?: number;
  /** Seconds; 0 makes every error final. Default: the user's `managedDownloads.noProgressTimeout`. */
  noProgressTimeout?: number;
  /** BITS SetSecurityFlags bits, e.g. 0x8 to allow an unknown CA (your validator then decides). */
  securityFlags?: number;
  /**
   * Sent with every request of the job, and recorded with it in plain text (shown in the job's details).
   * Credential headers (`Authorization`, `Proxy-Authorization`, `Cookie`) are never recorded: given here,
   * they are kept write-only as if passed in `writeOnlyHeaders`.
   */
  customHeaders?: Record<string, string>;
  /**
   * Sent with every request of the job (never to another origin after a redirect), and kept in VS Code's
   * SecretStorage (the OS keychain where there is one), never in the job store, the log or the UI: only
   * their names are recorded. For tokens. Also settable later with `setWriteOnlyHeader`.
   */
  writeOnlyHeaders?: Record<string, string>;
  /**
   * Complete the job by itself once every file is transferred: the files go to their final paths and the job to
   * ACKNOWLEDGED (`onDidModify`), or, if that fails, to ERROR (`onDidError`). Default false: you call `complete`
   * (BITS). Also settable later with `setAutoComplete`.
   */
  autoComplete?: boolean;
}

export interface AddFileOptions {
  /** http or https. */
  remoteUrl: string;
  /** Absolute path of the final file; no other file of the job may use it. */
  localPath: string;
  /** Lower-case hex sha256 the file must have; a mismatch is an ERROR that names both digests. */
  sha256?: string;
}

export interface CompleteJobResult {
  /** 0 (S_OK), or 0x00200017 (BG_S_PARTIAL_COMPLETE) when files that had not fully arrived were dropped. */
  readonly code: number;
  /** Final paths of the files that were put in place. */
  readonly completed: readonly string[];
  /** Final paths of the files that were dropped. */
  readonly notTransferred: readonly string[];
}

export interface DownloadJobEvent {
  readonly job: DownloadJob;
}

export interface DownloadJobModificationEvent extends DownloadJobEvent {
  /** What changed: a new job, a state transition, progress, a property, or the job left the list. */
  readonly kind: 'created' | 'state' | 'progress' | 'modified' | 'removed';
  readonly previousState?: DownloadJobState;
}

/**
 * The in-process phase-2 validator: the same contract as the workspace's validator file
 * (`managed-downloads/validator`), called after the platform's own check passed and before any request byte.
 */
export type ServerCertificateValidator = Validator;
export type { CertificateView, ValidationInput, ValidationResult } from './validator/managed-downloads-validator';

/** The API as one extension sees it: the jobs it owns. */
export interface ManagedDownloadsClient {
  /** The owner recorded on every job this client creates (the extension id it was made for). */
  readonly owner: string;

  /** Creates a SUSPENDED job owned by this extension. */
  createJob(options: CreateJobOptions): Promise<DownloadJob>;
  /** Adds a file; allowed until the job is completed or cancelled. For many files, use `addFiles`. */
  addFile(jobId: string, file: AddFileOptions): Promise<DownloadJob>;
  /**
   * BITS AddFileSet: adds several files at once, all or none. Every entry is checked first (URL, absolute and
   * unique path, sha256, no other job writing that path); if one is refused, nothing is added and the error's
   * message begins with `files[INDEX]` (the refused entry's place in `files`). The job is stored once, so 1,000
   * files take a fraction of what 1,000 `addFile` calls do. An empty array is refused with E_INVALIDARG
   * (0x80070057). Allowed until the job is completed or cancelled, as `addFile` is. Resolves with the job.
   */
  addFiles(jobId: string, files: readonly AddFileOptions[]): Promise<DownloadJob>;
  /** Queues the job (BG_E_EMPTY without files). */
  resume(jobId: string): Promise<void>;
  suspend(jobId: string): Promise<void>;
  /** Cancels the job and deletes its temporary files. */
  cancel(jobId: string): Promise<{ code: number }>;
  /** Puts the transferred files at their final paths (atomically) and ends the job. */
  complete(jobId: string): Promise<CompleteJobResult>;
  setPriority(jobId: string, priority: DownloadJobPriority): Promise<void>;
  /** Skips the remaining retry delay of a job in TRANSIENT_ERROR, or re-queues one in ERROR. */
  retryNow(jobId: string): Promise<void>;

  /** This extension's jobs that are not yet completed or cancelled, oldest first. */
  getJobs(): Promise<DownloadJob[]>;
  /** One of this extension's jobs, or undefined when there is none with that id. */
  getJob(jobId: string): Promise<DownloadJob | undefined>;
  getProgress(jobId: string): Promise<DownloadProgress>;

  /**
   * Sets the job's phase-2 certificate validator, in-process. The last setter wins (it replaces the
   * workspace's validator file for this job) and the job's certificate cache is cleared. Like BITS's
   * callback it is not persisted: set it again after each activation; until you do, the job's HTTPS
   * connections fail with BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED. `undefined` removes it, and the
   * job follows the workspace validator again (see "Which validator checks an API job" above).
   */
  setCertificateValidator(jobId: string, validator: ServerCertificateValidator | undefined): Promise<void>;

  /**
   * Sets (or, with `undefined`, removes) one write-only header of the job: kept in SecretStorage, never in
   * the job store (see `CreateJobOptions.writeOnlyHeaders`). Resolves with the job's write-only header names.
   */
  setWriteOnlyHeader(jobId: string, name: string, value: string | undefined): Promise<string[]>;

  /**
   * Turns auto-complete on or off (see `CreateJobOptions.autoComplete`); a job that already waits in TRANSFERRED is
   * completed at once. Allowed until the job is completed or cancelled. Resolves with the job.
   */
  setAutoComplete(jobId: string, autoComplete: boolean): Promise<DownloadJob>;

  /**
   * Changes the sha256 file `fileIndex` (its place in `DownloadJob.files`) must have; `undefined` drops the check.
   * Allowed until that file is transferred and the job is not completed or cancelled; otherwise BG_E_INVALID_STATE
   * (0x80200002), as the bytes of a transferred file were already accepted. Resolves with the job.
   */
  setFileSha256(jobId: string, fileIndex: number, sha256: string | undefined): Promise<DownloadJob>;

  /**
   * BITS SetClientCertificate (undefined: RemoveClientCertificate). Checked before it is recorded: a missing
   * file, a wrong passphrase or a key that does not match rejects (E_FILE_NOT_FOUND, 0x80070056, 0x80072f99) and
   * changes nothing. Allowed until the job is completed or cancelled; the next connection presents it. A server
   * that requires a certificate the job lacks (or refuses its certificate) fails the job with 0x80072f0c
   * (ERROR_WINHTTP_CLIENT_AUTH_CERT_NEEDED).
   */
  setClientCertificate(jobId: string, certificate: ClientCertificateOptions | undefined): Promise<DownloadJob>;

  /**
   * BITS JobTransferred: every file has arrived; call `complete` (unless the job auto-completes). A new listener
   * also hears of the jobs already waiting in TRANSFERRED (see "Events are not lost" above).
   */
  readonly onDidTransfer: Event<DownloadJobEvent>;
  /** BITS JobError: the job went to ERROR. A new listener also hears of the jobs already in ERROR. */
  readonly onDidError: Event<DownloadJobEvent>;
  /** BITS JobModification: any change of the job, progress included. Not replayed: use `getJobs` for the present. */
  readonly onDidModify: Event<DownloadJobModificationEvent>;
}

/** What `activate` returns. */
export interface ManagedDownloadsApi {
  readonly apiVersion: 1;
  /**
   * Your extension's client: pass `context.extension.id`. It must be called from your extension's own code
   * (see the threat model above): an id that is not the caller's is refused with E_ACCESSDENIED. Jobs of
   * other owners are not visible through the client, and the Jobs view shows the owner of each job.
   */
  forExtension(extensionId: string): ManagedDownloadsClient;
}
