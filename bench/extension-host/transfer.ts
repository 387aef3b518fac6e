// Issue 17 point 3: the bench's transfers started through the extension's API inside code-server's extension host
// (Node 24), for the ratio to the CLI. One job per transfer, made and run the way another extension would: createJob
// (auto-complete) and addFile through the API client, then resume; timed from resume until the job is ACKNOWLEDGED
// (its files in place), which the CLI's wall time covers too (plus its process start and adding the files as one set).
// Adding the files is timed on its own: one addFiles call (one store write), as the CLI adds them.
import { writeFileSync } from 'node:fs';
import * as inspector from 'node:inspector';
import type { InternalTestingHooks } from '../../src/ui/testing';
import type { DownloadEngine } from '../../src/core/model/job';
import { JobState } from '../../src/core/model/job';
import { stateName } from '../../src/core/model/states';

export interface TransferCase {
  /** 'large' or 'small', as the bench's scenarios 1 and 2. */
  id: string;
  urls: string[];
  /** An empty folder of its own: every file goes there under its URL's last segment. */
  dest: string;
  /** Write a CPU profile of the transfer here (BENCH_HOST_PROFILE=1). */
  profileTo?: string;
}

export interface TransferFigures {
  id: string;
  files: number;
  /** createJob until addFiles resolved. */
  addMs: number;
  /** resume until ACKNOWLEDGED. */
  transferMs: number;
  /** The extension host's CPU (user + system, every thread) over the transfer. */
  cpuMs: number;
  /** The host's RSS before the job and its highest sample during the transfer (every 50 ms). */
  rssBeforeMiB: number;
  rssPeakMiB: number;
  state: string;
  error?: string;
}

const MiB = 1024 * 1024;

/** With `profileTo` (a file path), a CPU profile of the host over the transfer (node:inspector), for a look. */
async function profiled<T>(profileTo: string | undefined, work: () => Promise<T>): Promise<T> {
  if (!profileTo) return work();
  const session = new inspector.Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) => session.post(method, params, (err, result) => (err ? reject(err) : resolve(result))));
  await post('Profiler.enable');
  await post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = (await post('Profiler.stop')) as { profile: unknown };
    writeFileSync(profileTo, JSON.stringify(profile));
    session.disconnect();
  }
}

function acknowledged(engine: DownloadEngine, jobId: string): Promise<string> {
  return new Promise((resolve) => {
    const done = (state: JobState) => {
      if (state === JobState.ACKNOWLEDGED || state === JobState.ERROR || state === JobState.CANCELLED) return stateName(state);
      return undefined;
    };
    const listener = engine.onDidChangeJob((e) => {
      if (e.job.id !== jobId || e.kind !== 'state') return;
      const end = done(e.job.state);
      if (end === undefined) return;
      listener.dispose();
      resolve(end);
    });
  });
}

export async function measureTransfer(hooks: InternalTestingHooks, engine: DownloadEngine, c: TransferCase): Promise<TransferFigures> {
  const client = hooks.apiClientFor('bench.extension-transfers');
  const rssBefore = process.memoryUsage.rss();
  const addStarted = performance.now();
  const job = await client.createJob({ displayName: `bench ${c.id}`, autoComplete: true });
  await client.addFiles(
    job.id,
    c.urls.map((url) => ({ remoteUrl: url, localPath: `${c.dest}/${new URL(url).pathname.split('/').pop()!}` })),
  );
  const addMs = performance.now() - addStarted;
  let rssPeak = process.memoryUsage.rss();
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage.rss())), 50);
  const ended = acknowledged(engine, job.id);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  try {
    const state = await profiled(c.profileTo, async () => {
      await client.resume(job.id);
      return ended;
    });
    const transferMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
    const error = state === stateName(JobState.ACKNOWLEDGED) ? undefined : engine.getJob(job.id)?.error?.description;
    return {
      id: c.id,
      files: c.urls.length,
      addMs,
      transferMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      rssBeforeMiB: rssBefore / MiB,
      rssPeakMiB: rssPeak / MiB,
      state,
      error,
    };
  } finally {
    clearInterval(sampler);
  }
}
