// Runs jobs to rest under the CLI's eyes: progress on stderr, Ctrl-C leaves the jobs resumable.
import type { JobSnapshot } from '../core/model/job';
import type { CliIO } from './outcome';
import { ProgressReporter, type ProgressSource } from './progress';
import { waitUntilAtRest } from './wait';

export const EXIT_INTERRUPTED = 130;

export async function superviseJobs(
  engine: ProgressSource,
  jobIds: readonly string[],
  io: CliIO,
  json: boolean,
  report: (jobs: JobSnapshot[]) => number,
  /**
   * When the jobs are at rest (default: as the engine's events say); what Ctrl-C leaves behind; and, for jobs
   * another process runs, when that process is gone (then this stops following and returns what `gone.report` says).
   */
  following?: { atRest: () => Promise<JobSnapshot[]>; interrupted: string; gone?: { promise: Promise<void>; report: () => number } },
): Promise<number> {
  const reporter = new ProgressReporter(engine, io.stderr, (id) => jobIds.includes(id), jobIds);
  let onSignal: () => void = () => undefined;
  const interrupted = new Promise<'interrupted'>((resolve) => {
    onSignal = () => resolve('interrupted');
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  try {
    const gone = following?.gone?.promise.then(() => 'gone' as const) ?? new Promise<never>(() => undefined);
    const result = await Promise.race([following?.atRest() ?? waitUntilAtRest(engine, jobIds), interrupted, gone]);
    reporter.dispose();
    if (result === 'gone') return following!.gone!.report();
    if (result === 'interrupted') {
      const message =
        following?.interrupted ??
        `interrupted: the job${jobIds.length === 1 ? ' keeps its' : 's keep their'} bytes; 'managed-downloads run' continues from them.`;
      if (json) io.stdout.write(JSON.stringify({ interrupted: true, jobs: jobIds }) + '\n');
      io.stderr.write(message + '\n');
      return EXIT_INTERRUPTED;
    }
    return report(result);
  } finally {
    reporter.dispose();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
