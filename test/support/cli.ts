// Runs the CLI as a real child process (node --import tsx src/cli.ts ...), the way a terminal or CI would.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

export const REPO = path.resolve(__dirname, '..', '..');
const CLI = path.join(REPO, 'src', 'cli.ts');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs the CLI to its end (asynchronously, so servers in this process keep answering). */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 30_000): Promise<CliResult> {
  const child = spawnCli(args, env);
  return collect(child, timeoutMs);
}

/**
 * Runs the CLI with --json and parses its stdout as one JSON value; fails with its stderr when it exits otherwise
 * than `code`. `out` is untyped: each test reads the fields of the verb it ran.
 */
export async function runCliJson(args: string[], code = 0, env: NodeJS.ProcessEnv = {}) {
  const r = await runCli([...args, '--json'], env);
  assert.equal(r.code, code, `${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return { out: JSON.parse(r.stdout), stderr: r.stderr };
}

export function collect(child: ChildProcess, timeoutMs = 30_000): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`CLI did not finish in ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
