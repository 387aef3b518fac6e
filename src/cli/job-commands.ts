// The verbs on one job: resume (and wait for it, like get), suspend, cancel, complete.
import { codeName, formatCode } from '../core/errors';
import { JobState, type JobSnapshot } from '../core/model/job';
import type { CommonArgs } from './args';
import { passphraseFromEnv } from './client-certificate';
import { createVerbEngine, type CliEngineOptions, type CliJobEngine } from './engine-factory';
import { ForwardedEngine } from './forwarded-engine';
import { jobJson } from './format';
import { EXIT_USAGE, engineLog, reportOutcome, type CliIO } from './outcome';
import { headersFromEnv, missingSecretHeaders, missingSecretsAdvice } from './secret-headers';
import { reportStoreProblems } from './store-problems';
import { superviseJobs } from './supervise';
import { checkCaFiles } from './trust';
import { UsageError } from './usage';
import { reportNobodyRuns, watchForNoHolder } from './holder-gone';
import { atRest, jobOrReport } from './wait';

type JobArgs = CommonArgs & { jobId: string };

/**
 * Opens the store (taking its lease, or forwarding to the VS Code window that holds it), finds the job by id or
 * prefix, runs `action`; the engine is closed after.
 */
export async function withJob(
  args: JobArgs,
  io: CliIO,
  action: (engine: CliJobEngine, job: JobSnapshot) => Promise<number>,
  options: Partial<CliEngineOptions> = {},
): Promise<number> {
  const engine = await createVerbEngine({ store: args.store, resumeStoredJobs: false, log: engineLog(args.verbose, io), ...options });
  try {
    reportStoreProblems(engine, io);
    const job = jobOrReport(engine, args.jobId, io, args.json);
    if (!job) return EXIT_USAGE;
    return await action(engine, job);
  } finally {
    await engine.dispose();
  }
}

/** One job's new state for a script: the job as `info --json` shows it, with ok. */
export function writeJob(
  io: CliIO,
  engine: Pick<CliJobEngine, 'getProgress'>,
  job: JobSnapshot,
  extra: Record<string, unknown> = {},
): void {
  io.stdout.write(JSON.stringify({ ok: true, ...jobJson(job, engine.getProgress(job.id)), ...extra }) + '\n');
}

/** `resume JOB...`: every job checked first (found, its secrets at hand), then all resumed and waited for. */
export async function resumeCommand(args: CommonArgs & { jobIds: string[] }, io: CliIO): Promise<number> {
  checkCaFiles(args.caFiles);
  const have = headersFromEnv();
  const engine = await createVerbEngine({
    store: args.store,
    resumeStoredJobs: false,
    validator: args.validator,
    caFiles: args.caFiles,
    limitRate: args.limitRate,
    clientCertificatePassphrase: passphraseFromEnv(args.clientCertPassphraseEnv),
    log: engineLog(args.verbose, io),
  });
  try {
    reportStoreProblems(engine, io);
    const jobs: JobSnapshot[] = [];
    for (const given of args.jobIds) {
      const job = jobOrReport(engine, given, io, args.json);
      if (!job) return EXIT_USAGE;
      if (!jobs.some((j) => j.id === job.id)) jobs.push(job);
    }
    if (engine instanceof ForwardedEngine) return await resumeForwarded(engine, jobs, args, io);
    for (const job of jobs) {
      const missing = missingSecretHeaders(job, have);
      if (missing.length > 0 && !args.withoutSecretHeaders) throw new UsageError(missingSecretsAdvice(job, missing));
      if (missing.length > 0)
        io.stderr.write(
          `warning: job ${job.id.slice(0, 8)} runs without its write-only header${missing.length === 1 ? '' : 's'} ${missing.join(', ')} (--without-secret-headers).\n`,
        );
    }
    for (const job of jobs) await engine.resume(job.id);
    const ids = jobs.map((j) => j.id);
    return await superviseJobs(engine, ids, io, args.json, (done) => reportOutcome(done, io, args.json, args.store));
  } finally {
    await engine.dispose();
  }
}

/** The options of `resume` that set up this process's own transfers: the holder runs the jobs with its own. */
function localOnlyOptions(args: CommonArgs): string[] {
  const given: string[] = [];
  if (args.validator !== undefined) given.push('--validator');
  if (args.caFiles.length > 0) given.push('--ca-file');
  if (args.limitRate !== undefined) given.push('--limit-rate');
  if (args.clientCertPassphraseEnv !== undefined) given.push('--client-cert-passphrase-env');
  if (args.withoutSecretHeaders) given.push('--without-secret-headers');
  return given;
}

/** `resume` on a store a VS Code window runs: that window resumes the jobs; this process follows them to rest. */
async function resumeForwarded(engine: ForwardedEngine, jobs: JobSnapshot[], args: CommonArgs, io: CliIO): Promise<number> {
  const ignored = localOnlyOptions(args);
  if (ignored.length > 0)
    io.stderr.write(
      `note: ${engine.forwardedTo} runs these jobs with its own settings and secrets; ${ignored.join(', ')} ${ignored.length === 1 ? 'does' : 'do'} not apply.\n`,
    );
  // Jobs resume moves (not already in line or transferred) are followed from the holder's next write of them.
  const since = new Map<string, string>();
  for (const job of jobs) if (atRest(job) && job.state !== JobState.TRANSFERRED) since.set(job.id, job.times.modified);
  for (const job of jobs) await engine.resume(job.id);
  const ids = jobs.map((j) => j.id);
  io.stderr.write(
    `Resumed in ${engine.forwardedTo}; following ${ids.length === 1 ? 'the job' : 'the jobs'} here (Ctrl-C stops following, not the download).\n`,
  );
  // Like `watch`: name only the jobs still to run (a job the holder never wrote again counts as still to run).
  const notYetAtRest = () => {
    const left = ids.filter((id) => {
      const job = engine.getJob(id);
      return job !== undefined && (!atRest(job) || job.times.modified === since.get(id));
    });
    return left.length > 0 ? left : ids;
  };
  const holder = watchForNoHolder(args.store);
  try {
    return await superviseJobs(engine, ids, io, args.json, (done) => reportOutcome(done, io, args.json, args.store), {
      atRest: () => engine.waitForFreshRest(ids, since, atRest),
      interrupted: `interrupted: ${engine.forwardedTo} goes on running ${ids.length === 1 ? 'the job' : 'the jobs'}; 'managed-downloads watch' follows ${ids.length === 1 ? 'it' : 'them'} again.`,
      gone: { promise: holder.gone, report: () => reportNobodyRuns(io, args.json, args.store, notYetAtRest(), engine.forwardedTo) },
    });
  } finally {
    holder.dispose();
  }
}

export async function suspendCommand(args: JobArgs, io: CliIO): Promise<number> {
  return withJob(args, io, async (engine, job) => {
    await engine.suspend(job.id);
    if (args.json) writeJob(io, engine, engine.getJob(job.id)!);
    else io.stderr.write(`Job ${job.id} suspended; 'managed-downloads resume ${job.id.slice(0, 8)}' continues it from its bytes.\n`);
    return 0;
  });
}

export async function cancelCommand(args: JobArgs, io: CliIO): Promise<number> {
  return withJob(args, io, async (engine, job) => {
    const { code } = await engine.cancel(job.id);
    const message =
      code === 0
        ? `Job ${job.id} cancelled; its temp files were deleted.`
        : `Job ${job.id} cancelled, but some temp files could not be deleted (${codeName(code)}).`;
    if (args.json)
      io.stdout.write(JSON.stringify({ id: job.id, state: 'CANCELLED', code: formatCode(code), codeName: codeName(code) }) + '\n');
    else io.stderr.write(message + '\n');
    return 0;
  });
}

/** BITS Complete: the transferred files are put in place (the others are dropped, BG_S_PARTIAL_COMPLETE). */
export async function completeCommand(args: JobArgs, io: CliIO): Promise<number> {
  return withJob(args, io, async (engine, job) => {
    const result = await engine.complete(job.id);
    const done = engine.getJob(job.id)!;
    if (args.json) {
      writeJob(io, engine, done, {
        code: formatCode(result.code),
        codeName: codeName(result.code),
        completed: result.completed,
        notTransferred: result.notTransferred,
      });
    } else {
      for (const file of result.completed) io.stdout.write(file + '\n');
      if (result.notTransferred.length > 0)
        io.stderr.write(
          `Job ${job.id} completed (${codeName(result.code)}): not transferred, so not created: ${result.notTransferred.join(', ')}\n`,
        );
    }
    return done.state === JobState.ACKNOWLEDGED ? 0 : 1;
  });
}
