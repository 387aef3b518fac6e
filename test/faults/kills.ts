// SIGKILL at random moments: a real process runs the engine (driver.ts, bundled), the suite kills it at random
// times while files of varied sizes arrive from a throttled server, restarts it, and after the last kill lets
// it finish. Between kills nothing may sit at a final path unless Complete had begun (and then only whole files);
// at the end every file is byte-identical, no temp file is left and the job is ACKNOWLEDGED in the store.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { JobState } from '../../src/core/model/job';
import { TEMP_SUFFIX } from '../../src/core/transfer/temp-file';
import { startServer, testBytes } from '../support/servers';
import type { DriverManifest } from './driver';
import { emptyResult, wrongBytesBetween, type FaultResult } from './report';
import type { Random } from './random';

const REPO = path.resolve(__dirname, '..', '..');

export interface KillPlan {
  /** Rounds (one job, fresh store) run at least this many... */
  minRounds: number;
  /** ...and until this many kills landed (a round whose job finishes before its kills ends early). */
  minKills: number;
  killsPerRound: number;
}

/** Bundles a driver (test/faults/NAME.ts) once, so each restart costs a plain `node` start. */
export async function bundleDriver(dir: string, name = 'driver'): Promise<string> {
  const outfile = path.join(dir, `${name}.cjs`);
  await build({
    entryPoints: [path.join(REPO, 'test', 'faults', `${name}.ts`)],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    outfile,
    logLevel: 'error',
  });
  return outfile;
}

function runDriver(driver: string, store: string, manifest: string, killAfterMs: number | undefined, limitMs: number) {
  const child = spawn(process.execPath, [driver, store, manifest], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise<{ killed: boolean; code: number | null; output: string }>((resolve) => {
    // The scenario's kill moment (or, without one, the run's time limit): the fault itself, not a wait in the test.
    const killer = setTimeout(() => child.kill('SIGKILL'), killAfterMs ?? limitMs);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ killed: signal === 'SIGKILL', code, output });
    });
  });
}

interface StoredJob {
  state: JobState;
}

function storedJobs(store: string): StoredJob[] {
  const folder = path.join(store, 'jobs');
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((n) => n.endsWith('.json'))
    .map((n) => (JSON.parse(readFileSync(path.join(folder, n), 'utf8')) as { job: StoredJob }).job);
}

export async function killScenario(plan: KillPlan, random: Random): Promise<FaultResult> {
  const result = emptyResult('SIGKILL of the engine process, then resume');
  const work = mkdtempSync(path.join(tmpdir(), 'md-faults-kill-'));
  const server = await startServer();
  try {
    const driver = await bundleDriver(work);
    for (let round = 0; round < plan.minRounds || (result.runs < plan.minKills && round < plan.minRounds * 4); round++) {
      const dir = path.join(work, `round-${round}`);
      const store = path.join(dir, 'store');
      const dest = path.join(dir, 'dest');
      // Varied sizes: empty, tiny, around buffer edges, and a few MiB; throttled so kills land mid-file.
      const sizes = [0, 1, 4095, 65_537, random.int(100_000, 400_000), random.int(1_000_000, 2_000_000), random.int(2_500_000, 4_500_000)];
      const bodies = sizes.map((size, i) => testBytes(size, round * 100 + i + 1));
      const manifest: DriverManifest = { displayName: `kill-round-${round}`, files: [] };
      bodies.forEach((body, i) => {
        const route = `/r${round}/f${i}.bin`;
        server.route(route, { body, bytesPerSecond: 1536 * 1024 });
        manifest.files.push({ remoteUrl: server.url(route), localPath: path.join(dest, `file ${i}.bin`) });
      });
      const manifestFile = path.join(dir, 'manifest.json');
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      writeFileSync(manifestFile, JSON.stringify(manifest));

      let kills = 0;
      let finishedEarly = false;
      while (kills < plan.killsPerRound) {
        const run = await runDriver(driver, store, manifestFile, random.int(100, 1300), 60_000);
        if (!run.killed) {
          finishedEarly = run.code === 0;
          if (!finishedEarly) result.failures.push(`round ${round}: the driver ended with ${run.code}: ${run.output.trim()}`);
          break;
        }
        kills++;
        result.runs++;
        const jobs = storedJobs(store);
        if (jobs.length > 1) result.failures.push(`round ${round}: ${jobs.length} jobs in the store after kill ${kills}`);
        const state = jobs[0]?.state;
        const completing = state === JobState.TRANSFERRED || state === JobState.ACKNOWLEDGED;
        manifest.files.forEach((f, i) => {
          if (!existsSync(f.localPath)) return;
          if (!completing)
            result.failures.push(
              `round ${round}: ${path.basename(f.localPath)} at its final path before Complete (state ${state === undefined ? 'none' : JobState[state]})`,
            );
          result.wrongBytes += wrongBytesBetween(readFileSync(f.localPath), bodies[i]);
        });
      }
      if (!finishedEarly) {
        const last = await runDriver(driver, store, manifestFile, undefined, 90_000);
        if (last.killed || last.code !== 0)
          result.failures.push(
            `round ${round}: the final run did not complete the job (${last.killed ? 'hung' : `exit ${last.code}`}): ${last.output.trim()}`,
          );
      }
      const jobs = storedJobs(store);
      if (jobs.length !== 1 || jobs[0].state !== JobState.ACKNOWLEDGED) {
        result.jobsLost++;
        result.failures.push(
          `round ${round}: the store holds ${jobs.map((j) => JobState[j.state]).join(', ') || 'no job'} instead of one ACKNOWLEDGED job`,
        );
      }
      manifest.files.forEach((f, i) => {
        if (!existsSync(f.localPath)) return void result.failures.push(`round ${round}: ${path.basename(f.localPath)} missing`);
        result.wrongBytes += wrongBytesBetween(readFileSync(f.localPath), bodies[i]);
        result.filesVerified++;
      });
      const temps = readdirSync(dest).filter((n) => n.endsWith(TEMP_SUFFIX));
      if (temps.length > 0) result.failures.push(`round ${round}: temp files left after Complete: ${temps.join(', ')}`);
    }
  } finally {
    await server.close();
    rmSync(work, { recursive: true, force: true });
  }
  return result;
}
