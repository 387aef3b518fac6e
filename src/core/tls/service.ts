// The certificate service: the two-phase check every HTTPS connection of a job passes before any request
// byte is written. It holds the trust store (phase 1), the validators (phase 2: the workspace file's, and
// in-process ones set per job through the API, last setter wins), the per-job cache of accepted
// certificates and the rejection log.
import { X509Certificate } from 'node:crypto';
import type { TLSSocket, PeerCertificate, DetailedPeerCertificate } from 'node:tls';
import { BitsError, Codes, ErrorContext } from '../errors';
import { Emitter, type Event } from '../event';
import type { JobSnapshot } from '../model/job';
import type { Phase1Check, Validator } from '../../validator/managed-downloads-validator';
import { CertificateCache, type CacheEntry } from './certificate-cache';
import { apiValidatorMissingMessage, unavailableMessage, validatorFailedMessage } from './messages';
import { verifyPhase1 } from './phase1';
import { platformVerdict } from './platform-verdict';
import { RejectionLog, type RejectionLogOptions, type RejectionPhase } from './rejection-log';
import { RevocationChecker } from './revocation';
import { TrustStore, type TrustOptions } from './trust-store';
import { buildValidationInput } from './validation-input';
import { interpretResult, interpretThrow, type LoadedValidator, type ValidatorOutcome } from './validator-outcome';
import { readableName } from './certificate-view';

export type WorkspaceValidatorState =
  | { status: 'unset' }
  | { status: 'untrusted'; file?: string }
  | { status: 'missing'; file: string }
  | { status: 'compile-error'; file: string; message: string }
  /** Being compiled; connections that need it wait (bounded) for the outcome. */
  | { status: 'loading'; file: string; settled: Promise<void> }
  | { status: 'loaded'; file: string; validator: LoadedValidator };

export interface ConnectionResetEvent {
  /** Jobs whose cache was cleared: their pooled connections must not carry another request. */
  jobIds: string[];
  reason: string;
}

export interface ServerConnection {
  job: JobSnapshot;
  fileIndex?: number;
  /** The origin host the request is for (never a proxy). */
  host: string;
  port: number;
}

export interface CertificateServiceOptions {
  trust?: TrustOptions;
  rejectionLog?: RejectionLog | RejectionLogOptions;
  /** Milliseconds one validator call may take (setting managedDownloads.validatorTimeLimit; default 5,000). */
  validatorTimeLimitMs?: number;
  revocation?: RevocationChecker;
  /** How long a connection waits for a validator that is still compiling (default 30 s). */
  loadWaitMs?: number;
}

const DEFAULT_TIME_LIMIT_MS = 5000;
/** How many answers made stale by a validator change a check discards before it gives up. */
const MAX_STALE_ANSWERS = 3;

/** An in-process validator (the API's setCertificateValidator), with the same result rules as a file's. */
export function inProcessValidator(fn: Validator, description: string): LoadedValidator {
  return {
    description,
    async validate(input, timeLimitMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<ValidatorOutcome>((resolve) => {
        timer = setTimeout(() => resolve({ kind: 'unavailable', reason: `it did not answer within ${timeLimitMs} ms` }), timeLimitMs);
      });
      try {
        const answer = (async () => {
          try {
            return interpretResult(await fn(input));
          } catch (e) {
            return interpretThrow(e as Error & { code?: unknown });
          }
        })();
        return await Promise.race([answer, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** The chain as the server sent it, leaf first (Node links each certificate to its issuer). */
export function peerChain(socket: TLSSocket): X509Certificate[] {
  const chain: X509Certificate[] = [];
  const seen = new Set<string>();
  let cert: PeerCertificate | DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  while (cert && cert.raw && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    chain.push(new X509Certificate(cert.raw));
    cert = (cert as DetailedPeerCertificate).issuerCertificate;
  }
  return chain;
}

export class CertificateService {
  readonly cache = new CertificateCache();
  readonly rejections: RejectionLog;
  private trustOptions: TrustOptions;
  private trustStore?: TrustStore;
  private readonly revocation: RevocationChecker;
  private timeLimitMs: number;
  private readonly loadWaitMs: number;
  private workspace: WorkspaceValidatorState = { status: 'unset' };
  private readonly apiValidators = new Map<string, LoadedValidator>();
  /** The validator source each job had when its connections were last vetted. */
  private readonly jobSources = new Map<string, JobSnapshot['validator']>();
  /** Bumped whenever a job's validator or cache is reset, so an answer from the old validator is not cached. */
  private readonly generations = new Map<string, number>();
  private readonly inflight = new Map<string, Promise<ValidatorOutcome>>();
  private readonly reset = new Emitter<ConnectionResetEvent>();
  private readonly workspaceChanged = new Emitter<WorkspaceValidatorState>();
  readonly onDidResetConnections: Event<ConnectionResetEvent> = this.reset.event;
  readonly onDidChangeWorkspaceValidator: Event<WorkspaceValidatorState> = this.workspaceChanged.event;
  /** Problems met while loading the trust store (an unreadable extra CA file, say), for the log. */
  trustProblems: string[] = [];

  constructor(options: CertificateServiceOptions = {}) {
    this.trustOptions = options.trust ?? {};
    this.rejections = options.rejectionLog instanceof RejectionLog ? options.rejectionLog : new RejectionLog(options.rejectionLog);
    this.revocation = options.revocation ?? new RevocationChecker();
    this.timeLimitMs = options.validatorTimeLimitMs ?? DEFAULT_TIME_LIMIT_MS;
    this.loadWaitMs = options.loadWaitMs ?? 30_000;
  }

  // ---- configuration ----

  /** New phase-1 trust (extra CA files changed): rebuilt on the next connection; pooled connections closed. */
  setTrustOptions(options: TrustOptions): void {
    this.trustOptions = options;
    this.trustStore = undefined;
    this.fireReset([...this.jobSources.keys()], 'the trusted certificate authorities changed', false);
  }

  trust(): TrustStore {
    if (!this.trustStore) {
      this.trustStore = new TrustStore(this.trustOptions);
      this.trustProblems = this.trustStore.problems;
    }
    return this.trustStore;
  }

  setValidatorTimeLimit(ms: number): void {
    this.timeLimitMs = ms;
  }

  get validatorTimeLimitMs(): number {
    return this.timeLimitMs;
  }

  get workspaceValidator(): WorkspaceValidatorState {
    return this.workspace;
  }

  /** (Re)load or unload the workspace validator: every attached job's cache is cleared, its pooled connections closed. */
  setWorkspaceValidator(state: WorkspaceValidatorState): void {
    const previous = this.workspace;
    this.workspace = state;
    if (previous.status === 'loaded' && (state.status !== 'loaded' || state.validator !== previous.validator))
      void previous.validator.dispose?.();
    // Every job that follows the workspace validator: all but those whose owner set (or must set) their own.
    const attached = [...this.jobSources].filter(([id, source]) => source !== 'api' && !this.apiValidators.has(id)).map(([id]) => id);
    // A validator that starts loading has not changed the answer yet; the change comes when it settles.
    if (state.status !== 'loading')
      this.fireReset(
        attached,
        state.status === 'loaded' ? `the certificate validator ${state.file} was loaded` : `the certificate validator is ${state.status}`,
      );
    this.workspaceChanged.fire(state);
  }

  /** The API's SetServerCertificateValidationInterface: last setter wins; clears the job's cache. */
  setJobValidator(jobId: string, validator: Validator | LoadedValidator | undefined, description = 'set through the API'): void {
    const previous = this.apiValidators.get(jobId);
    if (validator === undefined) this.apiValidators.delete(jobId);
    else this.apiValidators.set(jobId, typeof validator === 'function' ? inProcessValidator(validator, description) : validator);
    if (previous && previous !== this.apiValidators.get(jobId)) void previous.dispose?.();
    this.fireReset([jobId], 'the job certificate validator was set');
  }

  /** Clears the cache of one job, or of every job: the next connection calls the validator again. */
  clearCache(jobId?: string): void {
    const ids = jobId ? [jobId] : [...new Set([...this.jobSources.keys(), ...this.apiValidators.keys()])];
    this.fireReset(ids, 'the certificate cache was cleared');
  }

  /** A job that is gone (cancelled, acknowledged): forget everything about it. */
  forgetJob(jobId: string): void {
    this.cache.clear(jobId);
    this.jobSources.delete(jobId);
    this.generations.delete(jobId);
    const validator = this.apiValidators.get(jobId);
    this.apiValidators.delete(jobId);
    void validator?.dispose?.();
  }

  cachedCertificates(jobId: string): CacheEntry[] {
    return this.cache.entries(jobId);
  }

  private fireReset(jobIds: string[], reason: string, clearCache = true): void {
    for (const id of jobIds) {
      if (clearCache) this.cache.clear(id);
      this.generations.set(id, (this.generations.get(id) ?? 0) + 1);
    }
    if (jobIds.length > 0) this.reset.fire({ jobIds, reason });
  }

  async dispose(): Promise<void> {
    if (this.workspace.status === 'loaded') await this.workspace.validator.dispose?.();
    for (const v of this.apiValidators.values()) await v.dispose?.();
    this.apiValidators.clear();
    await this.rejections.flush();
    this.reset.dispose();
    this.workspaceChanged.dispose();
  }

  // ---- the gate ----

  /**
   * Both phases for a TLS connection whose handshake just finished. Resolves when the certificate is
   * accepted; rejects with a BitsError (and records the rejection) otherwise.
   */
  async vet(socket: TLSSocket, conn: ServerConnection): Promise<void> {
    const { job } = conn;
    const endpoint = `${conn.host}:${conn.port}`;
    this.jobSources.set(job.id, job.validator);
    const chain = peerChain(socket);
    if (chain.length === 0) {
      throw this.refuse(
        conn,
        undefined,
        'platform',
        new BitsError(Codes.ERROR_WINHTTP_SECURE_FAILURE, `The server ${endpoint} sent no certificate.`, ErrorContext.GENERAL_TRANSPORT, {
          transient: true,
        }),
      );
    }
    const [leaf, ...sent] = chain;
    const phase1 = await verifyPhase1({
      leaf,
      sent,
      host: conn.host,
      securityFlags: job.securityFlags,
      trust: this.trust(),
      revocation: this.revocation,
      platform: platformVerdict(socket),
    });
    if (!phase1.ok) {
      const message = `The certificate of ${endpoint} failed the platform check (phase 1): ${phase1.reason}. The job's security flags can relax a check (BITS SetSecurityFlags), or trust its CA (setting managedDownloads.extraCaFiles; --ca-file FILE for the CLI).`;
      throw this.refuse(conn, leaf, 'platform', new BitsError(phase1.code, message, ErrorContext.GENERAL_TRANSPORT, { transient: true }));
    }
    // The validator learns which checks the flags relaxed (a private CA's chain arrives with 'chain').
    const relaxed: Phase1Check[] = phase1.relaxed.map((f) => f.check);
    await this.phase2(conn, endpoint, chain, relaxed);
  }

  private async phase2(conn: ServerConnection, endpoint: string, chain: X509Certificate[], relaxed: Phase1Check[]): Promise<void> {
    const { job } = conn;
    const leaf = chain[0];
    const sha256 = leaf.fingerprint256.replace(/:/g, '').toLowerCase();
    for (let attempt = 0; ; attempt++) {
      if (this.cache.has(job.id, endpoint, sha256)) return;
      const generation = this.generations.get(job.id) ?? 0;
      const resolved = await this.validatorFor(job);
      if ('none' in resolved) return;
      if ('unavailable' in resolved) {
        throw this.refuse(conn, leaf, 'unavailable', this.interfaceRequired(resolved.unavailable));
      }
      const key = `${job.id}\u0000${generation}\u0000${endpoint}\u0000${sha256}`;
      let pending = this.inflight.get(key);
      if (!pending) {
        const input = buildValidationInput(job, conn.fileIndex, conn.host, conn.port, chain, relaxed);
        pending = resolved.validator.validate(input, this.timeLimitMs).finally(() => this.inflight.delete(key));
        this.inflight.set(key, pending);
      }
      const outcome = await pending;
      // The validator changed while it ran: its answer is stale, whatever it was; ask the one now in force. A
      // validator that keeps changing faster than it answers gives no answer worth keeping.
      if ((this.generations.get(job.id) ?? 0) !== generation) {
        if (attempt < MAX_STALE_ANSWERS) continue;
        throw this.refuse(
          conn,
          leaf,
          'unavailable',
          this.interfaceRequired(
            validatorFailedMessage(
              resolved.validator.description,
              `it changed ${MAX_STALE_ANSWERS + 1} times while it was deciding on ${endpoint}`,
            ),
            true,
          ),
        );
      }
      if (outcome.kind === 'accept') {
        this.cache.add(job.id, { endpoint, sha256, subject: readableName(leaf.subject), acceptedAt: new Date().toISOString() });
        return;
      }
      if (outcome.kind === 'decline') {
        const message = `The certificate validator declined the certificate of ${endpoint} (sha256 ${sha256}): ${outcome.reason}`;
        throw this.refuse(
          conn,
          leaf,
          'validator',
          new BitsError(outcome.code, message, ErrorContext.SERVER_CERTIFICATE_CALLBACK, { transient: true }),
        );
      }
      throw this.refuse(
        conn,
        leaf,
        'unavailable',
        this.interfaceRequired(validatorFailedMessage(resolved.validator.description, outcome.reason)),
      );
    }
  }

  private interfaceRequired(message: string, transient = false): BitsError {
    return new BitsError(Codes.BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED, message, ErrorContext.SERVER_CERTIFICATE_CALLBACK, {
      transient,
    });
  }

  /**
   * The validator in force for a job now, at this connection (never the one in force when the job was made):
   * the one its owner set through the API (last setter wins, even over the workspace's); for a job whose owner
   * said it sets its own ('api') but has not set it again since a restart, none can be called; for every other
   * job, the workspace validator whenever one is configured. Only with no validator configured at all does a
   * job pass on phase 1 alone.
   */
  private async validatorFor(job: JobSnapshot): Promise<{ validator: LoadedValidator } | { unavailable: string } | { none: true }> {
    const own = this.apiValidators.get(job.id);
    if (own) return { validator: own };
    if (job.validator === 'api') return { unavailable: apiValidatorMissingMessage(job.displayName, job.owner) };
    let state = this.workspace;
    if (state.status === 'unset') return { none: true };
    if (state.status === 'loading') {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([state.settled, new Promise<void>((r) => (timer = setTimeout(r, this.loadWaitMs)))]);
      clearTimeout(timer);
      state = this.workspace;
    }
    return state.status === 'loaded' ? { validator: state.validator } : { unavailable: unavailableMessage(state, job.displayName) };
  }

  /** Records an unsuccessful attempt and hands back the error to fail the connection with. */
  private refuse(conn: ServerConnection, leaf: X509Certificate | undefined, phase: RejectionPhase, error: BitsError): BitsError {
    const file = conn.fileIndex === undefined ? undefined : conn.job.files[conn.fileIndex];
    this.rejections.record({
      jobId: conn.job.id,
      jobName: conn.job.displayName,
      fileIndex: conn.fileIndex,
      url: file?.remoteUrl,
      endpoint: `${conn.host}:${conn.port}`,
      certSha256: leaf?.fingerprint256.replace(/:/g, '').toLowerCase(),
      subject: leaf ? readableName(leaf.subject) : undefined,
      issuer: leaf ? readableName(leaf.issuer) : undefined,
      phase,
      code: error.code,
      reason: error.message,
    });
    return error;
  }
}
