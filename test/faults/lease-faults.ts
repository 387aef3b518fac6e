// Two processes on one store: A holds the lease and runs the jobs; B opens the same store as a follower, sees
// A's job, forwards the creation of its own job to A; then A is killed with SIGKILL mid-transfer. B must take
// over (only after A is dead), finish both jobs, and every file must be delivered once and whole.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { JobState } from '../../src/core/model/job';
import { TEMP_SUFFIX } from '../../src/core/transfer/temp-file';
import { startServer, testBytes } from '../support/servers';
import { waitUntil } from '../support/wait';
import type { DriverManifest } from './driver';
import { bundleDriver } from './kills';
import type { Random } from './random';
import { emptyResult, wrongBytesBetween, type FaultResult } from './report';

interface Said {
  at: number;
  event: string;
  role?: string;
  sees?: string[];
  message?: string;
}

function start(driver: string, store: string, manifest: string) {
  const child = spawn(process.execPath, [driver, store, manifest], { stdio: ['ignore', 'pipe', 'pipe'] });
  const said: Said[] = [];
  let buffer = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    buffer += d.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop()!;
    for (const line of lines) if (line.trim()) said.push(JSON.parse(line) as Said);
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, said, exited, stderr: () => stderr };
}

async function until(what: string, test: () => boolean, ms: number): Promise<void> {
  await waitUntil(what, test, { timeoutMs: ms, intervalMs: 25 });
}

function kill(child: ChildProcess): void {
  if (child.exitCode === null) child.kill('SIGKILL');
}

export async function leaseScenario(runs: number, random: Random): Promise<FaultResult> {
  const result = emptyResult('two engines on one store, the holder SIGKILLed');
  const work = mkdtempSync(path.join(tmpdir(), 'md-faults-lease-'));
  const server = await startServer();
  try {
    const driver = await bundleDriver(work, 'lease-driver');
    for (let run = 0; run < runs; run++) {
      result.runs++;
      const dir = path.join(work, `run-${run}`);
      const store = path.join(dir, 'store');
      const dest = path.join(dir, 'dest');
      mkdirSync(dir, { recursive: true });
      const bodies: Buffer[] = [];
      const manifests = ['A', 'B'].map((name, m) => {
        const manifest: DriverManifest = { displayName: `job ${name}`, files: [] };
        for (let i = 0; i < 3; i++) {
          const body = testBytes(random.int(200_000, 2_500_000), 20_000 + run * 10 + m * 3 + i);
          const route = `/lease-${run}/${name}${i}.bin`;
          server.route(route, { body, bytesPerSecond: 2 * 1024 * 1024 });
          bodies.push(body);
          manifest.files.push({ remoteUrl: server.url(route), localPath: path.join(dest, `${name}${i}.bin`) });
        }
        const file = path.join(dir, `${name}.json`);
        writeFileSync(file, JSON.stringify(manifest));
        return { manifest, file };
      });
      const a = start(driver, store, manifests[0].file);
      const b = { current: undefined as ReturnType<typeof start> | undefined };
      try {
        await until('A to hold the lease', () => a.said.some((s) => s.event === 'role' && s.role === 'holder'), 15_000);
        await until('A to create its job', () => a.said.some((s) => s.event === 'job'), 15_000);
        const bp = start(driver, store, manifests[1].file);
        b.current = bp;
        await until('B to open', () => bp.said.some((s) => s.event === 'role'), 15_000);
        if (bp.said[0].role !== 'follower') result.failures.push(`run ${run}: B opened as ${bp.said[0].role} while A held the lease`);
        await until('B to create its job through A', () => bp.said.some((s) => s.event === 'job'), 15_000);
        const seen = bp.said.find((s) => s.event === 'job')!.sees ?? [];
        if (!seen.includes('job A') || !seen.includes('job B')) result.failures.push(`run ${run}: the follower sees ${seen.join(', ')}`);
        // The scenario's random kill moment (0.1-1.2 s into the transfers), not a wait for something to happen.
        await new Promise((r) => setTimeout(r, random.int(100, 1200)));
        const killedAt = Date.now();
        kill(a.child);
        await a.exited;
        await until('B to finish both jobs', () => bp.said.some((s) => s.event === 'done' || s.event === 'error'), 60_000);
        const tookOver = bp.said.find((s) => s.event === 'role' && s.role === 'holder');
        if (!tookOver) result.failures.push(`run ${run}: B never took over`);
        else if (tookOver.at < killedAt) result.failures.push(`run ${run}: B took the lease while A was alive`);
        const error = bp.said.find((s) => s.event === 'error');
        if (error) result.failures.push(`run ${run}: B failed: ${error.message}`);
        await bp.exited;
      } catch (err) {
        result.failures.push(`run ${run}: ${(err as Error).message}; A: ${a.stderr()} B: ${b.current?.stderr() ?? ''}`);
      } finally {
        kill(a.child);
        if (b.current) kill(b.current.child);
      }
      const jobsFolder = path.join(store, 'jobs');
      const stored = existsSync(jobsFolder)
        ? readdirSync(jobsFolder)
            .filter((n) => n.endsWith('.json'))
            .map(
              (n) => (JSON.parse(readFileSync(path.join(jobsFolder, n), 'utf8')) as { job: { displayName: string; state: JobState } }).job,
            )
        : [];
      for (const name of ['job A', 'job B']) {
        const matches = stored.filter((j) => j.displayName === name);
        if (matches.length !== 1 || matches[0].state !== JobState.ACKNOWLEDGED) {
          result.jobsLost++;
          result.failures.push(`run ${run}: ${name} is ${matches.map((j) => JobState[j.state]).join(', ') || 'missing'} in the store`);
        }
      }
      manifests
        .flatMap((m) => m.manifest.files)
        .forEach((f, i) => {
          if (!existsSync(f.localPath)) return void result.failures.push(`run ${run}: ${path.basename(f.localPath)} missing`);
          result.wrongBytes += wrongBytesBetween(readFileSync(f.localPath), bodies[i]);
          result.filesVerified++;
        });
      const temps = existsSync(dest) ? readdirSync(dest).filter((n) => n.endsWith(TEMP_SUFFIX)) : [];
      if (temps.length > 0) result.failures.push(`run ${run}: temp files left: ${temps.join(', ')}`);
    }
  } finally {
    await server.close();
    rmSync(work, { recursive: true, force: true });
  }
  return result;
}
