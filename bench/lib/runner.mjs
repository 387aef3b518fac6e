// Runs the clients of one scenario side by side: repetition after repetition, every client once per
// repetition, the starting client rotated so that no client always runs right after the same other one.
// Each run gets a fresh output folder, is verified, then cleaned up and the disk synced outside the clock.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { measure } from './measure.mjs';
import { verifyOutput } from './verify.mjs';

/**
 * @param {{ id: string, title: string, reps: number, timeoutMs: number, expected: object[], clients: object[] }} scenario
 *   clients: { name, label, unavailable?: string, command(outDir, storeDir) -> { cmd, args, env } }
 * @param {{ workDir: string, log: (s: string) => void }} ctx
 */
export async function runScenario(scenario, ctx) {
  // BENCH_CLIENTS=ours,curl-par1 (client names, comma-separated) runs only those: a quicker loop while working.
  const picked = process.env.BENCH_CLIENTS ? new Set(process.env.BENCH_CLIENTS.split(',').map((s) => s.trim())) : undefined;
  const clients = scenario.clients
    .map((c) => (picked && !picked.has(c.name) ? { ...c, unavailable: 'not run (BENCH_CLIENTS)' } : c))
    .map((c) => ({ ...c, runs: [] }));
  const runnable = clients.filter((c) => !c.unavailable);
  for (let rep = 1; rep <= scenario.reps; rep++) {
    for (let k = 0; k < runnable.length; k++) {
      const client = runnable[(k + rep - 1) % runnable.length];
      const outDir = join(ctx.workDir, 'out', `${scenario.id}-${client.name}`);
      const storeDir = join(ctx.workDir, 'store', `${scenario.id}-${client.name}`);
      for (const d of [outDir, storeDir]) {
        rmSync(d, { recursive: true, force: true });
        mkdirSync(d, { recursive: true });
      }
      const command = client.command(outDir, storeDir);
      const m = await measure({ ...command, timeoutMs: scenario.timeoutMs });
      let failure;
      if (m.timedOut) failure = `timed out after ${scenario.timeoutMs / 1000} s`;
      else if (m.exitCode !== 0)
        failure = `exit ${m.exitCode ?? m.signal}: ${(m.stderr || m.stdout).trim().split('\n').slice(-3).join(' | ')}`;
      else failure = verifyOutput(outDir, scenario.expected);
      const run = { rep, ok: !failure, failure, wallS: m.wallS, cpuS: m.cpuS, maxRssMiB: m.maxRssMiB };
      client.runs.push(run);
      ctx.log(
        `  ${scenario.id} rep ${rep} ${client.name.padEnd(14)} ${failure ? `FAILED: ${failure}` : `wall ${m.wallS.toFixed(2)} s, cpu ${m.cpuS.toFixed(2)} s, rss ${m.maxRssMiB.toFixed(0)} MiB`}`,
      );
      rmSync(outDir, { recursive: true, force: true });
      rmSync(storeDir, { recursive: true, force: true });
      // Flush the written bytes now, so one client's writeback does not slow the next one's run.
      spawnSync('sync');
    }
  }
  return { ...scenario, clients };
}
