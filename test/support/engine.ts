// Helpers for engine tests: a fresh store and destination per test, an engine tuned for fast retries, and
// waiting for a job to reach a state (through the engine's own events, with a time limit).
import { mkdtempSync, promises as fs, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { JobEngine, type JobEngineOptions } from '../../src/core/jobs/engine';
import { JobState, type JobSnapshot } from '../../src/core/model/job';

export interface Sandbox {
  root: string;
  store: string;
  dest: string;
  cleanup(): Promise<void>;
}

export function sandbox(): Sandbox {
  const root = mkdtempSync(path.join(tmpdir(), 'md-engine-'));
  const store = path.join(root, 'store');
  const dest = path.join(root, 'dest');
  return { root, store, dest, cleanup: () => fs.rm(root, { recursive: true, force: true }) };
}

/** A test's `after` hook (node:test's TestContext, or anything that takes a clean-up). */
export interface AfterHook {
  after: (fn: () => Promise<void>) => void;
}

export interface TestSandbox extends Sandbox {
  /** Runs `fn` when the test ends, before the folder goes; the last registered runs first (what uses the store closes before it). */
  later(fn: () => unknown): void;
}

/** A fresh sandbox (store and destination) for the test `t`, removed when it ends. */
export function sandboxFor(t: AfterHook): TestSandbox {
  const box = sandbox();
  const cleanups: (() => unknown)[] = [() => box.cleanup()];
  t.after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });
  return { ...box, later: (fn) => void cleanups.push(fn) };
}

export const FAST: Partial<JobEngineOptions> = {
  retryDelayFloorSeconds: 0.05,
  progressIntervalMs: 50,
  stallTimeoutMs: 2000,
  storeCoalesceMs: 20,
};

export function openEngine(box: Sandbox, options: Partial<JobEngineOptions> = {}): Promise<JobEngine> {
  return JobEngine.open({ storeDir: box.store, ...FAST, ...options });
}

/** A fresh engine in a fresh sandbox, both disposed when the test `t` ends. */
export async function engineForTest(
  t: { after: (fn: () => Promise<void>) => void },
  options: Partial<JobEngineOptions> = {},
): Promise<{ box: Sandbox; engine: JobEngine }> {
  const box = sandbox();
  const engine = await openEngine(box, options);
  t.after(async () => {
    await engine.dispose();
    await box.cleanup();
  });
  return { box, engine };
}

/** Resolves with the job once it is in one of `states`; rejects after `ms` naming the state it was in. */
export function waitForState(engine: JobEngine, jobId: string, states: JobState | JobState[], ms = 15_000): Promise<JobSnapshot> {
  const wanted = Array.isArray(states) ? states : [states];
  return new Promise((resolve, reject) => {
    const current = engine.getJob(jobId);
    if (current && wanted.includes(current.state)) return resolve(current);
    const timer = setTimeout(() => {
      sub.dispose();
      const job = engine.getJob(jobId);
      reject(
        new Error(
          `job ${jobId} did not reach ${wanted.map((s) => JobState[s]).join('/')} in ${ms} ms; it is ${job ? JobState[job.state] : 'gone'}${job?.error ? `: ${job.error.description}` : ''}`,
        ),
      );
    }, ms);
    const sub = engine.onDidChangeJob((e) => {
      if (e.job.id === jobId && wanted.includes(e.job.state)) {
        clearTimeout(timer);
        sub.dispose();
        resolve(e.job);
      }
    });
  });
}

/** Every state a job went through, in order (from the moment this is called). */
export function recordStates(engine: JobEngine, jobId: string): JobState[] {
  const seen: JobState[] = [];
  engine.onDidChangeJob((e) => {
    if (e.job.id === jobId && e.kind === 'state') seen.push(e.job.state);
  });
  return seen;
}

/** Names in a folder (hidden temp files included). */
export function listNames(folder: string): string[] {
  try {
    return readdirSync(folder).sort();
  } catch {
    return [];
  }
}

/** Creates a job with the given files (url, name in dest) and resumes it. */
export async function startJob(
  engine: JobEngine,
  box: Sandbox,
  files: { url: string; name: string; sha256?: string }[],
  options: Parameters<JobEngine['createJob']>[0] = { displayName: 'test', minimumRetryDelay: 0 },
): Promise<JobSnapshot> {
  const job = await engine.createJob(options);
  for (const f of files) await engine.addFile(job.id, { remoteUrl: f.url, localPath: path.join(box.dest, f.name), sha256: f.sha256 });
  await engine.resume(job.id);
  return engine.getJob(job.id)!;
}
