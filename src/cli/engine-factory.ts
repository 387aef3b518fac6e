// The one place where the CLI builds its engine, so the certificate gate (phase 1 + the --validator file) can be
// plugged in here without touching the commands.
import { BitsError, Codes, ErrorContext } from '../core/errors';
import { JobEngine, type LogLevel } from '../core/jobs/engine';
import type { JobSnapshot } from '../core/model/job';
import type { ForwardLimits } from '../core/store/command-queue';
import { StoreLease, type LeaseInfo } from '../core/store/lease';
import { describeHolder } from '../core/store/leased-engine';
import { createCliGate } from '../validator/cli-gate';
import { cliHeaderSecrets, headersFromEnv } from './secret-headers';
import { cliClientCertificateSecrets } from './client-certificate';
import { ForwardedEngine } from './forwarded-engine';
import { VALIDATOR_LOG_PREFIX } from './outcome';

/** How the CLI's lease names it ("managed-downloads get"): a holder so named runs no command queue. */
const CLI_LEASE_LABEL = 'managed-downloads';

export interface CliEngineOptions {
  store: string;
  /** --validator FILE.ts, when given. */
  validator?: string;
  /** false for `get`: run only the job it creates, leave the store's other jobs alone; `run`: the jobs it can send. */
  resumeStoredJobs: boolean | ((job: JobSnapshot) => boolean);
  /** --ca-file: extra CAs phase 1 trusts (as the setting managedDownloads.extraCaFiles). */
  caFiles?: readonly string[];
  /** --limit-rate: the total download rate of this process, bytes per second. */
  limitRate?: number;
  /** Lowest retry delay; below BITS's 5 s only when the user asked for it with --retry-delay. */
  retryDelayFloorSeconds?: number;
  log?: (level: LogLevel, message: string) => void;
  /** list/info: only reads, so it needs no lease and works while another process runs the store. */
  readOnly?: boolean;
  /** A client certificate's passphrase this process has (--client-cert-passphrase-env, or asked on the terminal). */
  clientCertificatePassphrase?: string;
  /** Values of write-only headers this process has (--header credentials, MANAGED_DOWNLOADS_HEADERS); default: the env's. */
  writeOnlyHeaders?: Record<string, string>;
}

/** The CLI's lease on the store, or who holds it (undefined: nobody, after all). */
async function tryLease(store: string): Promise<{ lease: StoreLease } | { holder: LeaseInfo | undefined }> {
  const lease = new StoreLease(store, { label: `${CLI_LEASE_LABEL} ${process.argv[2] ?? ''}`.trim() });
  if (await lease.tryAcquire()) return { lease };
  const holder = await lease.current();
  await lease.dispose();
  return { holder };
}

function storeInUse(store: string, holder: LeaseInfo | undefined): BitsError {
  return new BitsError(
    Codes.MD_E_STORE_IN_USE,
    `The store ${store} is in use by ${describeHolder(holder)}, which runs its jobs. Wait until it finishes (or close that VS Code window), or use another --store.`,
    ErrorContext.GENERAL_QUEUE_MANAGER,
  );
}

/** One engine per store: the CLI takes the store's lease, or stops with a clear message naming the holder. */
async function takeLease(store: string): Promise<StoreLease> {
  const taken = await tryLease(store);
  if ('lease' in taken) return taken.lease;
  throw storeInUse(store, taken.holder);
}

/** What the CLI's job verbs use: the engine this process runs, or the one of the process that holds the store. */
export type CliJobEngine = Pick<
  JobEngine,
  | 'onDidChangeJob'
  | 'getJob'
  | 'listJobs'
  | 'listAllJobs'
  | 'getProgress'
  | 'storeProblems'
  | 'createJob'
  | 'addFiles'
  | 'resume'
  | 'suspend'
  | 'cancel'
  | 'complete'
  | 'setPriority'
  | 'setProperties'
  | 'setClientCertificate'
  | 'removeJob'
  | 'dispose'
> & {
  /** Set when the verbs go to the process that holds the store (described for messages). */
  readonly forwardedTo?: string;
};

/**
 * For the verbs that change a job (create, add, set, resume, suspend, cancel, complete): the store's engine when
 * this process can take the lease; when a VS Code window holds it, that window runs the verbs (forwarded through
 * the store's command queue). Another CLI process takes no commands: that stays MD_E_STORE_IN_USE, as before.
 */
export async function createVerbEngine(options: CliEngineOptions, limits?: ForwardLimits): Promise<CliJobEngine> {
  // Twice: a holder that let go between our try and our look leaves a free store.
  for (let attempt = 1; ; attempt++) {
    const taken = await tryLease(options.store);
    if ('lease' in taken) return createCliEngine(options, taken.lease);
    const holder = taken.holder;
    if (holder === undefined && attempt < 2) continue;
    if (holder === undefined || holder.takesCommands !== true) throw storeInUse(options.store, holder);
    return ForwardedEngine.open(options.store, describeHolder(holder), limits);
  }
}

export async function createCliEngine(options: CliEngineOptions, taken?: StoreLease): Promise<JobEngine> {
  const log = options.log ?? (() => undefined);
  const lease = options.readOnly ? undefined : (taken ?? (await takeLease(options.store)));
  // Every connection goes through the certificate gate: phase 1 with the job's BITS security flags, phase 2
  // with the --validator file (compiled and run in a worker, as in the editor), rejections kept in the store.
  const ref: { engine?: JobEngine } = {};
  const gate = createCliGate({
    storeDir: options.store,
    validatorFile: options.validator,
    extraCaFiles: options.caFiles ? [...options.caFiles] : undefined,
    jobLookup: (id) => ref.engine?.getJob(id),
    log: (level, message) => log(level, `${VALIDATOR_LOG_PREFIX} ${message}`),
  });
  // A validator that does not load is not fatal here: jobs that need it fail with
  // BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED, whose description says what to fix (as BITS does).
  const state = await gate.ready;
  if (options.validator !== undefined && state.status !== 'loaded')
    log('warn', `${VALIDATOR_LOG_PREFIX} ${options.validator} is not loaded (${state.status})`);
  let engine: JobEngine;
  try {
    engine = await JobEngine.open({
      storeDir: options.store,
      owner: 'cli',
      connections: gate.provider,
      resumeStoredJobs: options.resumeStoredJobs,
      retryDelayFloorSeconds: options.retryDelayFloorSeconds,
      bandwidthLimit: options.limitRate,
      clientCertificateSecrets: cliClientCertificateSecrets(options.clientCertificatePassphrase),
      headerSecrets: cliHeaderSecrets(options.writeOnlyHeaders ?? headersFromEnv(), (id) => ref.engine?.writeOnlyHeaderNamesOf(id)),
      log: options.log,
    });
  } catch (err) {
    await gate.dispose();
    await lease?.dispose();
    throw err;
  }
  ref.engine = engine;
  if (options.validator !== undefined) {
    // Jobs this process creates are judged by the --validator file (phase 2), unless told otherwise.
    const createJob = engine.createJob.bind(engine);
    engine.createJob = (jobOptions) => createJob({ validator: 'workspace', ...jobOptions });
  }
  const dispose = engine.dispose.bind(engine);
  engine.dispose = async () => {
    await dispose();
    await gate.dispose();
    await lease?.dispose();
  };
  return engine;
}
