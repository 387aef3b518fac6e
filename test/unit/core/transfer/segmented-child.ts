// A process that runs one segmented download with the real engine until it is killed (by segmented.test.ts,
// with SIGKILL): argv = store, url, destination file. Prints "started <jobId>" once the job runs.
import { JobEngine } from '../../../../src/core/jobs/engine';

async function main(): Promise<void> {
  const [store, url, localPath] = process.argv.slice(2);
  const engine = await JobEngine.open({
    storeDir: store,
    retryDelayFloorSeconds: 0.05,
    storeCoalesceMs: 20,
    // Checkpoints more often than the default 5 s, so the test's 4 MB reach the store in several segments.
    segments: { enabled: true, minSize: 1 << 20, connections: 4, checkpointMs: 500 },
  });
  const job = await engine.createJob({ displayName: 'killed mid-segments', minimumRetryDelay: 0 });
  await engine.addFile(job.id, { remoteUrl: url, localPath });
  await engine.resume(job.id);
  process.stdout.write(`started ${job.id}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(String((err as Error)?.stack ?? err));
  process.exit(1);
});
