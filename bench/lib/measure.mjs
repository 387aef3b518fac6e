// Runs one client command under GNU time and measures it: wall time (our own clock, around the child),
// CPU time (user + sys of the child and its waited-for children) and peak RSS ("Maximum resident set size").
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const TAIL = 4000;

/**
 * @param {{ cmd: string, args: string[], env?: Record<string,string>, cwd?: string, timeoutMs?: number }} command
 * @returns {Promise<{ exitCode: number|null, signal: string|null, timedOut: boolean, wallS: number, cpuS: number, userS: number, sysS: number, maxRssMiB: number, stdout: string, stderr: string }>}
 */
export function measure(command) {
  const scratch = mkdtempSync(join(tmpdir(), 'bench-time-'));
  const timeFile = join(scratch, 'time.txt');
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-f', '%U %S %M', '-o', timeFile, command.cmd, ...command.args], {
      cwd: command.cwd,
      env: { ...process.env, ...command.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout = (stdout + d).slice(-TAIL)));
    child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-TAIL)));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, command.timeoutMs ?? 600_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      rmSync(scratch, { recursive: true, force: true });
      reject(err);
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      const wallS = Number(process.hrtime.bigint() - started) / 1e9;
      let userS = NaN;
      let sysS = NaN;
      let maxRssKiB = NaN;
      try {
        // GNU time writes "Command exited with non-zero status N" before the figures when the child fails.
        const last = readFileSync(timeFile, 'utf8').trim().split('\n').pop() ?? '';
        [userS, sysS, maxRssKiB] = last.split(' ').map(Number);
      } catch {
        // time was killed with the child (timeout): no figures.
      }
      rmSync(scratch, { recursive: true, force: true });
      resolve({ exitCode, signal, timedOut, wallS, userS, sysS, cpuS: userS + sysS, maxRssMiB: maxRssKiB / 1024, stdout, stderr });
    });
  });
}
