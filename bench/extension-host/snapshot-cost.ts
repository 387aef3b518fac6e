// What a job snapshot costs at 1,000 files (issue 17): getJob, and a progress event while one file's bytes move,
// on the engine alone (no network: the file records are written as a transfer would leave them).
// `node --import tsx bench/extension-host/snapshot-cost.ts` prints the median microseconds of each.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { JobEngine } from '../../src/core/jobs/engine';

const FILES = 1000;
const ROUNDS = 400;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
  const root = mkdtempSync(path.join(tmpdir(), 'md-snapshot-cost-'));
  const engine = await JobEngine.open({ storeDir: path.join(root, 'store'), resumeStoredJobs: false, progressIntervalMs: 0 });
  try {
    const job = await engine.createJob({ displayName: 'snapshot cost' });
    await engine.addFiles(
      job.id,
      Array.from({ length: FILES }, (_, i) => ({
        remoteUrl: `https://127.0.0.1:9/f/${i}.bin`,
        localPath: path.join(root, 'dest', `${i}.bin`),
      })),
    );
    // The engine's own record, reached the way a transfer reaches it (private to the engine: a bench may look).
    const slot = (
      engine as unknown as {
        slots: Map<
          string,
          { record: { files: { bytesTransferred: number; bytesTotal: number | null; transferred: boolean; etag?: string }[] } }
        >;
      }
    ).slots.get(job.id)!;
    slot.record.files.forEach((f, i) => {
      f.bytesTotal = 102_400;
      f.bytesTransferred = i < FILES / 2 ? 102_400 : 0;
      f.transferred = i < FILES / 2;
      f.etag = `"${i}"`;
    });
    const getJob: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const started = performance.now();
      engine.getJob(job.id);
      getJob.push(performance.now() - started);
    }
    // A progress event: the engine's fire('progress') after one file's bytes moved.
    const fire = (engine as unknown as { fire(kind: string, slot: unknown): void }).fire.bind(engine);
    let events = 0;
    engine.onDidChangeJob(() => events++);
    const progress: number[] = [];
    const moving = slot.record.files[FILES / 2];
    for (let r = 0; r < ROUNDS; r++) {
      moving.bytesTransferred = (r * 256) % 102_400;
      const started = performance.now();
      fire('progress', slot);
      progress.push(performance.now() - started);
    }
    // Between two progress events of a job of small files, many files arrive: here 100, and then all of them.
    const after = (changed: number): number[] => {
      const costs: number[] = [];
      for (let r = 0; r < ROUNDS / 4; r++) {
        for (let i = 0; i < changed; i++) slot.record.files[(r * changed + i) % FILES].bytesTransferred = r + 1;
        const started = performance.now();
        fire('progress', slot);
        costs.push(performance.now() - started);
      }
      return costs;
    };
    const hundred = after(100);
    const all = after(FILES);
    if (events !== ROUNDS * 1.5) throw new Error(`expected ${ROUNDS * 1.5} events, saw ${events}`);
    console.log(
      `${FILES} files, ${ROUNDS} rounds, Node ${process.version}: getJob median ${(median(getJob) * 1000).toFixed(0)} µs, progress event median ${(median(progress) * 1000).toFixed(0)} µs (one file changed), ${(median(hundred) * 1000).toFixed(0)} µs (100 changed), ${(median(all) * 1000).toFixed(0)} µs (all changed)`,
    );
  } finally {
    await engine.dispose();
    rmSync(root, { recursive: true, force: true });
  }
}

void main();
