// One of two processes on one store (the lease scenario): it opens the store through LeasedEngine, makes sure
// its manifest's job exists (created on its own engine as holder, forwarded to the holder as follower), and
// waits until every job it knows of is ACKNOWLEDGED. It reports on stdout, one JSON object a line.
// Run as `node lease-driver.cjs STORE MANIFEST.json`.
import { readFileSync } from 'node:fs';
import { JobEngine } from '../../src/core/jobs/engine';
import { JobState } from '../../src/core/model/job';
import { LeasedEngine } from '../../src/core/store/leased-engine';
import type { DriverManifest } from './driver';

const say = (o: Record<string, unknown>) => process.stdout.write(JSON.stringify({ at: Date.now(), pid: process.pid, ...o }) + '\n');

async function main(): Promise<void> {
  const [storeDir, manifestFile] = process.argv.slice(2);
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as DriverManifest;
  const engine = await LeasedEngine.open({
    storeDir,
    open: () =>
      JobEngine.open({ storeDir, retryDelayFloorSeconds: 0.05, progressIntervalMs: 100, stallTimeoutMs: 3000, storeCoalesceMs: 50 }),
    lease: { ttlMs: 1500, renewMs: 250, label: `driver ${manifest.displayName}` },
    pollMs: 150,
  });
  say({ event: 'role', role: engine.role });
  engine.onDidChangeRole((role) => say({ event: 'role', role }));
  let job = engine.listAllJobs().find((j) => j.displayName === manifest.displayName);
  if (!job) {
    job = await engine.createJob({ displayName: manifest.displayName, minimumRetryDelay: 0, autoComplete: true });
    for (const file of manifest.files) job = await engine.addFile(job.id, file);
    await engine.resume(job.id);
  }
  say({ event: 'job', id: job.id, sees: engine.listAllJobs().map((j) => j.displayName) });
  const allDone = () => {
    const jobs = engine.listAllJobs();
    return jobs.length > 0 && jobs.every((j) => j.state === JobState.ACKNOWLEDGED);
  };
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      // A new holder finishes what the old one left transferred but not completed.
      if (engine.role === 'holder')
        for (const j of engine.listAllJobs()) if (j.state === JobState.TRANSFERRED) void engine.complete(j.id).catch(() => undefined);
      if (allDone()) {
        clearInterval(timer);
        resolve();
      }
    }, 100);
  });
  say({ event: 'done', role: engine.role, jobs: engine.listAllJobs().map((j) => j.displayName) });
  await engine.dispose();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    say({ event: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    process.exit(3);
  },
);
