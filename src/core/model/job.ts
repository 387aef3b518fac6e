// The BITS job model carried over: states, priorities, security flags, and the records the store keeps.
// Plain data only, so a record can be stored, sent to a worker, or shown in the UI as it is.
import type { Agent } from 'node:http';
import type { ErrorContext } from '../errors';

/** BG_JOB_STATE, with BITS's numeric values. */
export enum JobState {
  QUEUED = 0,
  CONNECTING = 1,
  TRANSFERRING = 2,
  SUSPENDED = 3,
  ERROR = 4,
  TRANSIENT_ERROR = 5,
  TRANSFERRED = 6,
  ACKNOWLEDGED = 7,
  CANCELLED = 8,
}

/** BG_JOB_PRIORITY: FOREGROUND goes first; NORMAL is the default. */
export enum JobPriority {
  FOREGROUND = 0,
  HIGH = 1,
  NORMAL = 2,
  LOW = 3,
}

/** BITS SetSecurityFlags values (BG_SSL_* and BG_HTTP_REDIRECT_POLICY_*), with the same meanings. */
export const SecurityFlags = {
  ENABLE_CRL_CHECK: 0x1,
  IGNORE_CERT_CN_INVALID: 0x2,
  IGNORE_CERT_DATE_INVALID: 0x4,
  IGNORE_UNKNOWN_CA: 0x8,
  IGNORE_CERT_WRONG_USAGE: 0x10,
  REDIRECT_POLICY_ALLOW_SILENT: 0x0,
  REDIRECT_POLICY_ALLOW_REPORT: 0x100,
  REDIRECT_POLICY_DISALLOW: 0x200,
  REDIRECT_POLICY_MASK: 0x700,
  ALLOW_HTTPS_TO_HTTP_REDIRECT: 0x800,
} as const;

/** Where a job's phase-2 certificate validator comes from. Not persisted as code: only as a need. */
export type ValidatorSource = 'none' | 'workspace' | 'api';

export interface JobError {
  context: ErrorContext;
  /** HRESULT, unsigned. */
  code: number;
  description: string;
  /** Index of the file that failed, when one did. */
  fileIndex?: number;
  /** ISO time the error happened. */
  time: string;
}

export interface FileRecord {
  remoteUrl: string;
  /** Absolute final path; nothing is written here before Complete. */
  localPath: string;
  /** Hidden temp file beside localPath that receives the bytes. */
  tempPath: string;
  /** null while unknown (BG_SIZE_UNKNOWN). */
  bytesTotal: number | null;
  bytesTransferred: number;
  /** Every byte is in the temp file (and the hash matched, when one was given). */
  transferred: boolean;
  /** Lower-case hex sha256 the file must have, when the caller gave one. */
  sha256?: string;
  /** Validators of the remote entity, for If-Range when resuming. */
  etag?: string;
  lastModified?: string;
  /** The Last-Modified came at least 1 s before its answer's Date (RFC 9110 8.8.2.2): it may go in If-Range. */
  lastModifiedStrong?: boolean;
  /**
   * `dev:ino` of the temp file this job created: a file found at the temp name that is not this one (a link, a
   * replacement) is never written to nor put in place.
   */
  tempIdentity?: string;
  /**
   * Identity (`dev:ino:size:mtime`) of the file that was at localPath when this file was added: Complete replaces
   * that file, and refuses to replace any other (one written there after the file was added).
   */
  replaces?: string;
  /** The URL a redirect led to, when the policy reports it (BITS updates the remote name). */
  finalUrl?: string;
  /**
   * Present while the file is fetched over several Range connections at once: the temp file then has holes, so
   * its size says nothing, and these ranges say which bytes are durably in it.
   */
  segments?: SegmentRecord[];
}

/** One range [start, end) of a segmented file; bytes [start, position) are durably in the temp file. */
export interface SegmentRecord {
  start: number;
  end: number;
  position: number;
}

export interface JobTimes {
  created: string;
  modified: string;
  transferCompleted?: string;
}

export interface JobRecord {
  id: string;
  displayName: string;
  description: string;
  priority: JobPriority;
  /** 'workspace' for jobs made in the UI; an extension id for jobs made through the API; 'cli' for the CLI. */
  owner: string;
  state: JobState;
  files: FileRecord[];
  times: JobTimes;
  /** Seconds in TRANSIENT_ERROR before a retry (BITS default 600, minimum 5). */
  minimumRetryDelay: number;
  /** Seconds without progress before a transient error becomes ERROR (BITS default 1,209,600; 0: every error is final). */
  noProgressTimeout: number;
  securityFlags: number;
  /** Sent on every request. Write-only headers are not here: they live in a secret store. */
  customHeaders: Record<string, string>;
  /** Names of headers kept write-only (their values are in the secret store, never in this record). */
  writeOnlyHeaderNames?: string[];
  validator: ValidatorSource;
  error?: JobError;
  /** Epoch ms of the next automatic retry while in TRANSIENT_ERROR. */
  retryAt?: number;
  /** Epoch ms of the last byte received (or of entering the queue), for the no-progress timeout. */
  lastProgressAt?: number;
  /** Auto-complete when transferred (jobs made in the UI). */
  autoComplete?: boolean;
  /** BITS SetClientCertificate: where the job's client certificate comes from (never its key or passphrase). */
  clientCertificate?: ClientCertificateRecord;
}

/**
 * What a job asks of setClientCertificate: a PEM certificate and key or a PKCS#12 file, by path or kept in a
 * secret store. Secrets never travel in it: they are asked of the engine's clientCertificateSecrets.
 */
export interface ClientCertificateSpec {
  format: 'pem' | 'pkcs12';
  /** 'file': read from the paths below at each run; 'secret': the material itself is in the secret store. */
  source: 'file' | 'secret';
  /** PEM certificate (chain) file; it may hold the key too. Absolute. */
  certFile?: string;
  /** PEM private key file, when the key is not in certFile. Absolute. */
  keyFile?: string;
  /** PKCS#12 (.pfx, .p12) file. Absolute. */
  pfxFile?: string;
  /** A passphrase is needed and kept in the secret store. */
  passphrase: boolean;
}

/** A job's client certificate as stored: the spec, and what was read from the certificate when it was set. */
export interface ClientCertificateRecord extends ClientCertificateSpec {
  subject: string;
  /** SHA-1 of the certificate's DER, colon-separated hex (BITS identifies a client certificate by it). */
  sha1Thumbprint: string;
  /** ISO time the certificate expires. */
  notAfter: string;
}

/** What the engine hands out: a deep-frozen copy the caller may keep (and not change; see snapshot.ts). */
export type JobSnapshot = Readonly<JobRecord>;

export interface JobProgress {
  bytesTotal: number | null;
  bytesTransferred: number;
  filesTotal: number;
  filesTransferred: number;
  /** Bytes per second over the last few seconds, 0 when idle. */
  rate: number;
}

export type JobChangeKind = 'created' | 'state' | 'progress' | 'modified' | 'removed';

export interface JobChangeEvent {
  kind: JobChangeKind;
  job: JobSnapshot;
  previousState?: JobState;
}

/** Where the certificate gate plugs into the engine: the agent that opens (and vets) a job's connections. */
export interface ConnectionProvider {
  /** An agent for this job and protocol. Its createConnection resolves only after the certificate is accepted. */
  agentFor(job: JobSnapshot, protocol: 'http:' | 'https:'): Agent;
  /** Forget (and close) every pooled connection of the job, e.g. after its validator changed. */
  closeJobConnections?(jobId: string): void;
}

export interface NewJobOptions {
  displayName: string;
  description?: string;
  priority?: JobPriority;
  owner?: string;
  minimumRetryDelay?: number;
  noProgressTimeout?: number;
  securityFlags?: number;
  customHeaders?: Record<string, string>;
  validator?: ValidatorSource;
  autoComplete?: boolean;
}

export interface NewFileOptions {
  remoteUrl: string;
  /** Absolute path of the final file. */
  localPath: string;
  sha256?: string;
}

/** Properties that may change after creation (BITS's Set* methods). Absent fields stay as they are. */
export interface JobPropertiesPatch {
  displayName?: string;
  description?: string;
  minimumRetryDelay?: number;
  noProgressTimeout?: number;
  securityFlags?: number;
  customHeaders?: Record<string, string>;
  autoComplete?: boolean;
  /** Names of the job's write-only headers (their values live in a secret store, see JobEngineOptions.headerSecrets). */
  writeOnlyHeaderNames?: string[];
  /**
   * The sha256 each listed file must have (null: no check). Only files not yet transferred may change: the bytes
   * of a transferred file were already accepted. All or none: one refused entry changes nothing.
   */
  fileSha256?: FileChecksumChange[];
}

/** One file's expected sha256 in a JobPropertiesPatch: lower- or upper-case hex, or null to drop the check. */
export interface FileChecksumChange {
  fileIndex: number;
  sha256: string | null;
}

/** A job file of the store that could not be loaded; the other jobs loaded regardless. */
export interface StoreProblem {
  /** The file as it was found. */
  file: string;
  /** Where it was moved so nothing is lost (absent when it was left in place, e.g. written by a newer version). */
  movedTo?: string;
  /** MD_E_STORE_UNREADABLE or MD_E_STORE_TOO_NEW. */
  code: number;
  message: string;
}

export interface CompleteResult {
  /** S_OK, or BG_S_PARTIAL_COMPLETE when some files were not fully transferred and were dropped. */
  code: number;
  completed: string[];
  notTransferred: string[];
}

/**
 * Where a store shared by several processes is run: by this process ('holder'), or by another one whose jobs this
 * process shows and to which it forwards its verbs ('follower').
 */
export type StoreRole = 'holder' | 'follower';

/**
 * Whether this process can still serve its user (in VS Code: whether its window still answers). A holder that is
 * no longer alive stops running jobs and lets go of the lease; it takes none until it is alive again.
 */
export interface HolderLiveness {
  readonly alive: boolean;
  readonly onDidChange: import('../event').Event<boolean>;
}

/** The engine as the shell, the CLI and the API see it (implemented in src/core/jobs/engine.ts). */
export interface DownloadEngine {
  readonly onDidChangeJob: import('../event').Event<JobChangeEvent>;
  createJob(options: NewJobOptions): Promise<JobSnapshot>;
  addFile(jobId: string, file: NewFileOptions): Promise<JobSnapshot>;
  /** BITS AddFileSet: all or none (a refused entry is named by its index), one store write; [] is refused. */
  addFiles(jobId: string, files: readonly NewFileOptions[]): Promise<JobSnapshot>;
  resume(jobId: string): Promise<void>;
  suspend(jobId: string): Promise<void>;
  cancel(jobId: string): Promise<{ code: number }>;
  complete(jobId: string): Promise<CompleteResult>;
  setPriority(jobId: string, priority: JobPriority): Promise<void>;
  /** Skip the remaining retry delay of a job in TRANSIENT_ERROR (or re-queue one in ERROR). */
  retryNow(jobId: string): Promise<void>;
  /**
   * BITS SetClientCertificate / RemoveClientCertificate (undefined): checked (files read, passphrase tried, key
   * matched) before it is recorded; allowed in every state but ACKNOWLEDGED and CANCELLED, used from the next
   * connection. Optional: an engine that only forwards may lack it.
   */
  setClientCertificate?(jobId: string, certificate: ClientCertificateSpec | undefined): Promise<JobSnapshot>;
  /** Record where the job's phase-2 validator comes from; the code itself is never persisted. */
  setValidatorSource(jobId: string, source: ValidatorSource): Promise<void>;
  getJob(jobId: string): JobSnapshot | undefined;
  /** Jobs that are not ACKNOWLEDGED or CANCELLED (as BITS lists them), oldest first. */
  listJobs(): JobSnapshot[];
  getProgress(jobId: string): JobProgress;
  setMaxConcurrentJobs(n: number): void;
  /** Total download rate of all jobs, bytes per second (0: none). Optional: an engine that only forwards may lack it. */
  setBandwidthLimit?(bytesPerSecond: number): void;
  /** Segmented downloads on or off, from which size (bytes), over how many connections. */
  setSegmentPolicy?(policy: { enabled?: boolean; minSize?: number; connections?: number }): void;
  /** Change a job's name, description, retry timers, security flags, headers or auto-complete (fires 'modified'). */
  setProperties(jobId: string, patch: JobPropertiesPatch): Promise<JobSnapshot>;
  /** Drop an ACKNOWLEDGED or CANCELLED job from memory and store (fires 'removed'); other states: BG_E_INVALID_STATE. */
  removeJob(jobId: string): Promise<void>;
  /** Job files that could not be loaded when the engine opened (set aside, with the reason). */
  readonly storeProblems: readonly StoreProblem[];
  /**
   * On a store shared through its lease (src/core/store/leased-engine.ts): whether this process runs the jobs.
   * Absent: the engine runs its jobs itself, as a holder does.
   */
  readonly role?: StoreRole;
  /** Fires when this process starts or stops running the shared store's jobs (with `role`). */
  readonly onDidChangeRole?: import('../event').Event<StoreRole>;
  /** Who runs the shared store's jobs, for messages ("pid 42 on host"; with `role`). */
  holderText?(): Promise<string>;
  dispose(): Promise<void>;
}
