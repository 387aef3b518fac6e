// Faults at the destination: a full disk (a real 2 MiB tmpfs) and a folder that refuses writes (chattr +i, since
// root ignores permission bits). The job fails in context LOCAL_FILE with a clear code, another job to a healthy
// folder goes on, nothing appears at the final path, and once the cause is gone, resume finishes with whole bytes.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Codes, ErrorContext } from '../../src/core/errors';
import { JobState } from '../../src/core/model/job';
import { startJob, waitForState } from '../support/engine';
import { startServer, testBytes, type TestServer } from '../support/servers';
import { withEngine } from './harness';
import { emptyResult, wrongBytesBetween, type FaultResult } from './report';

function sh(cmd: string, args: string[]): string | undefined {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? undefined : `${cmd} ${args.join(' ')} failed: ${(r.stderr || r.error?.message || '').trim()}`;
}

interface LocalFault {
  name: string;
  code: number;
  /** Makes `folder` fail writes; returns an error text when it cannot (the run then fails loudly). */
  break(folder: string): string | undefined;
  repair(folder: string): string | undefined;
  /** Always run at the end, also after a failure. */
  cleanup(folder: string): void;
  size: number;
}

const faults: LocalFault[] = [
  {
    name: 'disk full at the destination (2 MiB tmpfs)',
    code: Codes.E_DISK_FULL,
    size: 3 * 1024 * 1024,
    break: (folder) => sh('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', folder]),
    repair: (folder) => sh('mount', ['-o', 'remount,size=16m', folder]),
    cleanup: (folder) => void spawnSync('umount', [folder]),
  },
  {
    name: 'permission denied at the destination (immutable folder)',
    code: Codes.E_ACCESSDENIED,
    size: 500_000,
    break: (folder) => (process.getuid?.() === 0 ? sh('chattr', ['+i', folder]) : sh('chmod', ['555', folder])),
    repair: (folder) => (process.getuid?.() === 0 ? sh('chattr', ['-i', folder]) : sh('chmod', ['755', folder])),
    cleanup: (folder) => void (process.getuid?.() === 0 ? spawnSync('chattr', ['-i', folder]) : spawnSync('chmod', ['755', folder])),
  },
];

async function runLocalFault(fault: LocalFault, runs: number, server: TestServer): Promise<FaultResult> {
  const result = emptyResult(fault.name);
  for (let i = 0; i < runs; i++) {
    result.runs++;
    await withEngine({}, async (engine, box) => {
      const folder = path.join(box.dest, 'broken');
      mkdirSync(folder, { recursive: true });
      const body = testBytes(fault.size, 9300 + i);
      const other = testBytes(400_000, 9400 + i);
      server.route(`/local-${i}-${fault.code}`, { body });
      server.route(`/other-${i}-${fault.code}`, { body: other });
      const broken = fault.break(folder);
      if (broken) {
        result.failures.push(`cannot set up the fault (not skipped): ${broken}`);
        return;
      }
      try {
        const bad = await startJob(engine, box, [{ url: server.url(`/local-${i}-${fault.code}`), name: 'broken/file.bin' }]);
        const good = await startJob(engine, box, [{ url: server.url(`/other-${i}-${fault.code}`), name: 'other.bin' }]);
        const failed = await waitForState(engine, bad.id, [JobState.ERROR, JobState.TRANSFERRED]);
        if (failed.state !== JobState.ERROR || failed.error?.context !== ErrorContext.LOCAL_FILE || failed.error.code !== fault.code) {
          result.failures.push(
            `run ${i}: expected ERROR LOCAL_FILE 0x${fault.code.toString(16)}, got ${JobState[failed.state]} ${failed.error?.context} 0x${failed.error?.code.toString(16)}`,
          );
        }
        if (existsSync(path.join(folder, 'file.bin'))) result.failures.push(`run ${i}: a file at the final path of the failed job`);
        await waitForState(engine, good.id, JobState.TRANSFERRED);
        await engine.complete(good.id);
        result.wrongBytes += wrongBytesBetween(readFileSync(path.join(box.dest, 'other.bin')), other);
        result.filesVerified++;
        const repaired = fault.repair(folder);
        if (repaired) return void result.failures.push(`run ${i}: ${repaired}`);
        await engine.resume(bad.id);
        const done = await waitForState(engine, bad.id, [JobState.TRANSFERRED, JobState.ERROR]);
        if (done.state !== JobState.TRANSFERRED) {
          result.jobsLost++;
          return void result.failures.push(`run ${i}: after the repair the job is ${JobState[done.state]}: ${done.error?.description}`);
        }
        await engine.complete(bad.id);
        result.wrongBytes += wrongBytesBetween(readFileSync(path.join(folder, 'file.bin')), body);
        result.filesVerified++;
      } catch (err) {
        result.failures.push(`run ${i}: ${(err as Error).message}`);
      } finally {
        fault.cleanup(folder);
      }
    });
  }
  return result;
}

export async function localScenarios(runs: number): Promise<FaultResult[]> {
  const server = await startServer();
  try {
    const results: FaultResult[] = [];
    for (const fault of faults) results.push(await runLocalFault(fault, runs, server));
    return results;
  } finally {
    await server.close();
  }
}
