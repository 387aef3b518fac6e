// `resume JOB` (and wait for it, like get) and `cancel JOB`.
import { codeName, formatCode } from '../core/errors';
import type { CommonArgs } from './args';
import { passphraseFromEnv } from './client-certificate';
import { createCliEngine } from './engine-factory';
import { EXIT_USAGE, engineLog, reportOutcome, type CliIO } from './outcome';
import { reportStoreProblems } from './store-problems';
import { superviseJobs } from './supervise';
import { jobOrReport } from './wait';

export async function resumeCommand(args: CommonArgs & { job: string }, io: CliIO): Promise<number> {
  const engine = await createCliEngine({ store: args.store, validator: args.validator, resumeStoredJobs: false, clientCertificatePassphrase: passphraseFromEnv(args.clientCertPassphraseEnv), log: engineLog(args.verbose, io) });
  try {
    reportStoreProblems(engine, io);
    const job = jobOrReport(engine, args.job, io, args.json);
    if (!job) return EXIT_USAGE;
    await engine.resume(job.id);
    return await superviseJobs(engine, [job.id], io, args.json, (jobs) => reportOutcome(jobs, io, args.json, args.store));
  } finally {
    await engine.dispose();
  }
}

export async function cancelCommand(args: CommonArgs & { job: string }, io: CliIO): Promise<number> {
  const engine = await createCliEngine({ store: args.store, resumeStoredJobs: false, log: engineLog(args.verbose, io) });
  try {
    const job = jobOrReport(engine, args.job, io, args.json);
    if (!job) return EXIT_USAGE;
    const { code } = await engine.cancel(job.id);
    const message = code === 0 ? `Job ${job.id} cancelled; its temp files were deleted.` : `Job ${job.id} cancelled, but some temp files could not be deleted (${codeName(code)}).`;
    if (args.json) io.stdout.write(JSON.stringify({ id: job.id, state: 'CANCELLED', code: formatCode(code), codeName: codeName(code) }) + '\n');
    else io.stderr.write(message + '\n');
    return 0;
  } finally {
    await engine.dispose();
  }
}
