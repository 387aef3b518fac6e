// Job files the engine could not load are shown on every command that opens the store, so nobody misses them.
import { codeName } from '../core/errors';
import type { JobEngine } from '../core/jobs/engine';
import type { CliIO } from './outcome';

export function reportStoreProblems(engine: Pick<JobEngine, 'storeProblems'>, io: CliIO): void {
  for (const problem of engine.storeProblems) io.stderr.write(`warning: ${codeName(problem.code)}: ${problem.message}\n`);
}
