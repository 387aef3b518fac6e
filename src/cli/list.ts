// `list` and `info JOB`: read the store without running anything.
import { JobState } from '../core/model/job';
import { codeName, formatCode } from '../core/errors';
import type { CommonArgs } from './args';
import { createCliEngine } from './engine-factory';
import { jobDetails, jobJson, jobLine, LIST_HEADER } from './format';
import { EXIT_USAGE, engineLog, type CliIO } from './outcome';
import { reportStoreProblems } from './store-problems';
import { jobOrReport } from './wait';

export async function listCommand(args: CommonArgs, io: CliIO): Promise<number> {
  const engine = await createCliEngine({ store: args.store, resumeStoredJobs: false, readOnly: true, log: engineLog(args.verbose, io) });
  try {
    reportStoreProblems(engine, io);
    const jobs = engine.listJobs();
    if (args.json) {
      const problems = engine.storeProblems.map((p) => ({ ...p, code: formatCode(p.code), codeName: codeName(p.code) }));
      io.stdout.write(
        JSON.stringify({ store: args.store, jobs: jobs.map((j) => jobJson(j, engine.getProgress(j.id))), storeProblems: problems }) + '\n',
      );
    } else if (jobs.length === 0) {
      io.stderr.write(`No jobs in ${args.store}.\n`);
    } else {
      io.stdout.write(LIST_HEADER + '\n');
      for (const job of jobs) io.stdout.write(jobLine(job, engine.getProgress(job.id)) + '\n');
    }
    return 0;
  } finally {
    await engine.dispose();
  }
}

export async function infoCommand(args: CommonArgs & { jobId: string }, io: CliIO): Promise<number> {
  const engine = await createCliEngine({ store: args.store, resumeStoredJobs: false, readOnly: true, log: engineLog(args.verbose, io) });
  try {
    reportStoreProblems(engine, io);
    const job = jobOrReport(engine, args.jobId, io, args.json);
    if (!job) return EXIT_USAGE;
    const progress = engine.getProgress(job.id);
    io.stdout.write((args.json ? JSON.stringify(jobJson(job, progress)) : jobDetails(job, progress)) + '\n');
    return job.state === JobState.ERROR ? 1 : 0;
  } finally {
    await engine.dispose();
  }
}
