// `run`: opens the store, continues every unfinished job (queued, transferring or waiting to retry when the
// last process stopped) and waits until each is done or failed.
import { JobState } from '../core/jobs/model';
import type { CommonArgs } from './args';
import { passphraseFromEnv } from './client-certificate';
import { createCliEngine } from './engine-factory';
import { engineLog, reportOutcome, type CliIO } from './outcome';
import { reportStoreProblems } from './store-problems';
import { superviseJobs } from './supervise';

const UNFINISHED = new Set([JobState.QUEUED, JobState.CONNECTING, JobState.TRANSFERRING, JobState.TRANSIENT_ERROR]);

export async function runCommand(args: CommonArgs, io: CliIO): Promise<number> {
  const engine = await createCliEngine({ store: args.store, validator: args.validator, resumeStoredJobs: true, clientCertificatePassphrase: passphraseFromEnv(args.clientCertPassphraseEnv), log: engineLog(args.verbose, io) });
  try {
    reportStoreProblems(engine, io);
    // A transferred job that waits for its auto-complete is unfinished too: the engine completes it now.
    const ids = engine
      .listJobs()
      .filter((j) => UNFINISHED.has(j.state) || (j.state === JobState.TRANSFERRED && j.autoComplete))
      .map((j) => j.id);
    if (ids.length === 0) {
      if (args.json) io.stdout.write('[]\n');
      else io.stderr.write(`Nothing to do: no unfinished jobs in ${args.store}.\n`);
      return 0;
    }
    io.stderr.write(`Continuing ${ids.length} job(s) from ${args.store}\n`);
    return await superviseJobs(engine, ids, io, args.json, (jobs) => {
      const code = reportOutcome(jobs, io, false, args.store);
      if (args.json) io.stdout.write(JSON.stringify(jobs.map((j) => ({ id: j.id, state: JobState[j.state], ok: code === 0 || j.state === JobState.ACKNOWLEDGED }))) + '\n');
      return code;
    });
  } finally {
    await engine.dispose();
  }
}
