// The one place where the CLI builds its engine, so the certificate gate (phase 1 + the --validator file) can be
// plugged in here without touching the commands.
import { JobEngine, type LogLevel } from '../core/jobs/engine';
import { UsageError } from './usage';

export interface CliEngineOptions {
  store: string;
  /** --validator FILE.ts, when given. */
  validator?: string;
  /** false for `get`: run only the job it creates, leave the store's other jobs alone. */
  resumeStoredJobs: boolean;
  /** Lowest retry delay; below BITS's 5 s only when the user asked for it with --retry-delay. */
  retryDelayFloorSeconds?: number;
  log?: (level: LogLevel, message: string) => void;
}

export async function createCliEngine(options: CliEngineOptions): Promise<JobEngine> {
  if (options.validator !== undefined) {
    throw new UsageError(
      `--validator ${options.validator}: certificate validators are not available in the CLI yet (they arrive with two-phase certificate validation). Run without --validator for now.`,
    );
  }
  return JobEngine.open({
    storeDir: options.store,
    owner: 'cli',
    resumeStoredJobs: options.resumeStoredJobs,
    retryDelayFloorSeconds: options.retryDelayFloorSeconds,
    log: options.log,
  });
}
