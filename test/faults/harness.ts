// One fault run in this process: a fresh store and destination, an engine, a job of one or more files, waited
// on until TRANSFERRED (then completed) or ERROR, and the bytes at the final paths compared with the entities.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { JobEngine, JobEngineOptions } from '../../src/core/jobs/engine';
import { JobState, type JobSnapshot, type NewJobOptions } from '../../src/core/model/job';
import { TEMP_SUFFIX } from '../../src/core/transfer/temp-file';
import { openEngine, sandbox, startJob, waitForState, type Sandbox } from '../support/engine';
import { wrongBytesBetween, type FaultResult } from './report';

export interface PlannedFile {
  url: string;
  name: string;
  /** What must be at the final path after Complete. */
  expected: Buffer;
}

export type Expectation = 'complete' | 'error';

export interface RunCheck {
  /** Extra assertions on the finished job; return a reason to fail the run. */
  (job: JobSnapshot, box: Sandbox): string | undefined;
}

export async function withEngine<T>(options: Partial<JobEngineOptions>, fn: (engine: JobEngine, box: Sandbox) => Promise<T>): Promise<T> {
  const box = sandbox();
  const engine = await openEngine(box, options);
  try {
    return await fn(engine, box);
  } finally {
    await engine.dispose();
    await box.cleanup();
  }
}

/** Runs one job to its end and adds what it proves to `result`. */
export async function runJobOnce(
  result: FaultResult,
  engine: JobEngine,
  box: Sandbox,
  files: PlannedFile[],
  expect: Expectation,
  jobOptions: NewJobOptions = { displayName: 'fault', minimumRetryDelay: 0 },
  check?: RunCheck,
  limitMs = 30_000,
): Promise<void> {
  result.runs++;
  const started = await startJob(
    engine,
    box,
    files.map((f) => ({ url: f.url, name: f.name })),
    jobOptions,
  );
  let end: JobSnapshot;
  try {
    end = await waitForState(engine, started.id, [JobState.TRANSFERRED, JobState.ERROR], limitMs);
  } catch (err) {
    result.jobsLost++;
    result.failures.push(`${result.fault} run ${result.runs}: ${(err as Error).message}`);
    return;
  }
  const stateName = JobState[end.state];
  const before = files.filter((f) => existsSync(path.join(box.dest, f.name)));
  if (before.length > 0)
    result.failures.push(`run ${result.runs}: ${before.map((f) => f.name).join(', ')} at a final path before Complete`);
  if (end.state === JobState.TRANSFERRED) {
    await engine.complete(end.id);
    for (const f of files) {
      const final = path.join(box.dest, f.name);
      if (!existsSync(final)) {
        result.failures.push(`run ${result.runs}: ${f.name} missing after Complete`);
        continue;
      }
      result.wrongBytes += wrongBytesBetween(readFileSync(final), f.expected);
      result.filesVerified++;
    }
    const temps = readdirSync(box.dest).filter((n) => n.endsWith(TEMP_SUFFIX));
    if (temps.length > 0) result.failures.push(`run ${result.runs}: temp files left after Complete: ${temps.join(', ')}`);
  } else if (!end.error?.description) {
    result.failures.push(`run ${result.runs}: ERROR without a description`);
  }
  if (expect === 'complete' && end.state !== JobState.TRANSFERRED) {
    result.jobsLost++;
    result.failures.push(`run ${result.runs}: expected the job to complete, it is ${stateName}: ${end.error?.description ?? ''}`);
  }
  if (expect === 'error' && end.state !== JobState.ERROR) result.failures.push(`run ${result.runs}: expected ERROR, it is ${stateName}`);
  if (!engine.getJob(end.id)) {
    result.jobsLost++;
    result.failures.push(`run ${result.runs}: the job vanished`);
  }
  const reason = check?.(engine.getJob(end.id) ?? end, box);
  if (reason) result.failures.push(`run ${result.runs}: ${reason}`);
}
