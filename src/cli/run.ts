// `run`: opens the store, continues every unfinished job (queued, transferring or waiting to retry when the
// last process stopped) and waits until each is done or failed. A job with write-only headers this process has
// no value for is left alone (said, and exit 1), unless --without-secret-headers.
import { JobState, type JobSnapshot } from '../core/model/job';
import type { CommonArgs } from './args';
import { passphraseFromEnv } from './client-certificate';
import { createCliEngine } from './engine-factory';
import { EXIT_FAILED, engineLog, reportOutcome, type CliIO } from './outcome';
import { headersFromEnv, missingSecretHeaders, missingSecretsAdvice } from './secret-headers';
import { reportStoreProblems } from './store-problems';
import { superviseJobs } from './supervise';
import { checkCaFiles } from './trust';

const UNFINISHED = new Set([JobState.QUEUED, JobState.CONNECTING, JobState.TRANSFERRING, JobState.TRANSIENT_ERROR]);

export async function runCommand(args: CommonArgs, io: CliIO): Promise<number> {
  checkCaFiles(args.caFiles);
  const have = headersFromEnv();
  const heldBack: { job: JobSnapshot; missing: string[] }[] = [];
  const engine = await createCliEngine({
    store: args.store,
    validator: args.validator,
    caFiles: args.caFiles,
    limitRate: args.limitRate,
    resumeStoredJobs: (job) => {
      const missing = UNFINISHED.has(job.state) ? missingSecretHeaders(job, have) : [];
      if (missing.length === 0) return true;
      if (args.withoutSecretHeaders) {
        io.stderr.write(
          `warning: job ${job.id.slice(0, 8)} ("${job.displayName}") runs without its write-only header${missing.length === 1 ? '' : 's'} ${missing.join(', ')} (--without-secret-headers).\n`,
        );
        return true;
      }
      heldBack.push({ job, missing });
      return false;
    },
    clientCertificatePassphrase: passphraseFromEnv(args.clientCertPassphraseEnv),
    log: engineLog(args.verbose, io),
  });
  try {
    reportStoreProblems(engine, io);
    for (const { job, missing } of heldBack) io.stderr.write(`managed-downloads: ${missingSecretsAdvice(job, missing)}\n`);
    const held = new Set(heldBack.map((h) => h.job.id));
    const heldJson = heldBack.map(({ job, missing }) => ({
      id: job.id,
      state: JobState[job.state],
      ok: false,
      missingSecretHeaders: missing,
    }));
    // A transferred job that waits for its auto-complete is unfinished too: the engine completes it now.
    const ids = engine
      .listJobs()
      .filter((j) => !held.has(j.id) && (UNFINISHED.has(j.state) || (j.state === JobState.TRANSFERRED && j.autoComplete)))
      .map((j) => j.id);
    if (ids.length === 0) {
      if (args.json) io.stdout.write(JSON.stringify(heldJson) + '\n');
      else if (heldBack.length === 0) io.stderr.write(`Nothing to do: no unfinished jobs in ${args.store}.\n`);
      return heldBack.length > 0 ? EXIT_FAILED : 0;
    }
    io.stderr.write(`Continuing ${ids.length} job(s) from ${args.store}\n`);
    return await superviseJobs(engine, ids, io, args.json, (jobs) => {
      const code = reportOutcome(jobs, io, false, args.store);
      if (args.json)
        io.stdout.write(
          JSON.stringify([
            ...jobs.map((j) => ({ id: j.id, state: JobState[j.state], ok: code === 0 || j.state === JobState.ACKNOWLEDGED })),
            ...heldJson,
          ]) + '\n',
        );
      return heldBack.length > 0 ? EXIT_FAILED : code;
    });
  } finally {
    await engine.dispose();
  }
}
