// How a finished CLI run reports: file paths or a failure line (state, context, code, description) in text,
// one JSON value with --json; and the exit code that goes with it.
import type { LogLevel } from '../core/jobs/engine';
import { JobState, type JobSnapshot } from '../core/model/job';
import { progressOf } from '../core/model/progress';
import { describeFailure, jobJson } from './format';

export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream;
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
/** sysexits EX_TEMPFAIL: another process runs this store's jobs; trying again later (or another --store) works. */
export const EXIT_STORE_BUSY = 75;

export function succeeded(job: JobSnapshot): boolean {
  return job.state === JobState.ACKNOWLEDGED || (job.state === JobState.TRANSFERRED && !job.autoComplete);
}

/** Prints the outcome of the jobs a command waited for; 0 when all succeeded, 1 otherwise. */
export function reportOutcome(jobs: JobSnapshot[], io: CliIO, json: boolean, store: string): number {
  const ok = jobs.every(succeeded);
  if (json) {
    const values = jobs.map((j) => ({ ok: succeeded(j), ...jobJson(j, progressOf(j, 0)) }));
    io.stdout.write(JSON.stringify(values.length === 1 ? values[0] : values) + '\n');
  }
  for (const job of jobs) {
    if (succeeded(job)) {
      if (!json) for (const f of job.files) io.stdout.write(f.localPath + '\n');
      continue;
    }
    io.stderr.write(`managed-downloads: job ${job.id} did not finish: ${describeFailure(job)}\n`);
    if (job.state === JobState.ERROR) {
      io.stderr.write(
        `  The job stays in the store (${store}) with its bytes: fix the cause and run 'managed-downloads resume ${job.id.slice(0, 8)}', or 'managed-downloads cancel ${job.id.slice(0, 8)}'.\n`,
      );
    }
  }
  return ok ? EXIT_OK : EXIT_FAILED;
}

/** What the CLI puts before the certificate validator's log lines (engine-factory.ts), so they can be told apart. */
export const VALIDATOR_LOG_PREFIX = '[Validator]';

/**
 * The engine's log on stderr with --verbose; otherwise its errors, and the validator's warnings (a pin set about
 * to expire, a report-only decline, a validator that did not load): those are written for the person running it.
 */
export function engineLog(verbose: boolean, io: CliIO): (level: LogLevel, message: string) => void {
  return (level, message) => {
    if (verbose || level === 'error' || (level === 'warn' && message.startsWith(VALIDATOR_LOG_PREFIX)))
      io.stderr.write(`[${level}] ${message}\n`);
  };
}
