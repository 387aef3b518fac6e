// The process the kill scenario shoots: it opens the engine on a store, makes sure the manifest's job exists
// (creating it, or adding the files a previous kill left unadded), resumes it and waits until it is complete.
// Run as `node driver.cjs STORE MANIFEST.json` (bundled by the suite so a restart costs little).
import { readFileSync } from 'node:fs';
import { JobEngine } from '../../src/core/jobs/engine';
import { JobState } from '../../src/core/model/job';

export interface DriverManifest {
  displayName: string;
  files: { remoteUrl: string; localPath: string }[];
}

async function main(): Promise<number> {
  const [storeDir, manifestFile] = process.argv.slice(2);
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as DriverManifest;
  const engine = await JobEngine.open({
    storeDir,
    retryDelayFloorSeconds: 0.05,
    progressIntervalMs: 100,
    stallTimeoutMs: 3000,
    storeCoalesceMs: 50,
  });
  let job = engine.listAllJobs().find((j) => j.displayName === manifest.displayName);
  if (!job) job = await engine.createJob({ displayName: manifest.displayName, minimumRetryDelay: 0, autoComplete: true });
  // A kill between createJob and the last addFile leaves a suspended job with fewer files: add the rest.
  for (const file of manifest.files.slice(job.files.length)) job = await engine.addFile(job.id, file);
  const id = job.id;
  const done = new Promise<JobState>((resolve) => {
    const check = () => {
      const state = engine.getJob(id)?.state;
      if (state === JobState.ACKNOWLEDGED || state === JobState.ERROR || state === JobState.CANCELLED) resolve(state);
    };
    engine.onDidChangeJob((e) => e.job.id === id && check());
    check();
  });
  if (engine.getJob(id)?.state === JobState.SUSPENDED) await engine.resume(id);
  // Killed after the last byte but before (or during) Complete: finishing it is the application's part, as in BITS.
  if (engine.getJob(id)?.state === JobState.TRANSFERRED) await engine.complete(id);
  const state = await done;
  const error = engine.getJob(id)?.error;
  await engine.dispose();
  process.stdout.write(`${JobState[state]}${error ? ` ${error.description}` : ''}\n`);
  return state === JobState.ACKNOWLEDGED ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(3);
  },
);
