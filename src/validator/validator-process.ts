// Starting the validator's process: the same Node (or Electron run as Node) as the host, with an empty
// environment, and Node's permission model limiting it to reading its own script and reading and writing
// the validator's folder; no child processes, no native addons, no inspector. Its stdout carries framed
// messages to the host, read with a small frame limit; its stderr is dropped.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname } from 'node:path';
import { serialize } from 'node:v8';
import { encodeFrame } from './frames';
import type { ToProcess } from './worker-protocol';

/** The permission model's flag in this Node: `--permission` from Node 22.13/23.5, `--experimental-permission` before. */
export function permissionFlag(): string | undefined {
  const flags = process.allowedNodeEnvironmentFlags;
  if (flags.has('--permission')) return '--permission';
  if (flags.has('--experimental-permission')) return '--experimental-permission';
  return undefined;
}

/**
 * The environment the validator's process starts with: nothing of the host's. Electron runs its Node
 * only with ELECTRON_RUN_AS_NODE; Windows needs SystemRoot for its own system libraries.
 */
export function validatorEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  if (process.versions.electron) env.ELECTRON_RUN_AS_NODE = '1';
  if (process.platform === 'win32' && process.env.SystemRoot) env.SystemRoot = process.env.SystemRoot;
  return env;
}

export function validatorProcessArgs(script: string, validatorFile: string): string[] {
  const flag = permissionFlag();
  if (!flag)
    throw new Error(
      `this Node (${process.version}) has no permission model, so the validator cannot be isolated from the host's files; Node 20 or later is needed`,
    );
  const folder = dirname(validatorFile);
  return [
    flag,
    `--allow-fs-read=${script}`,
    `--allow-fs-read=${folder}`,
    `--allow-fs-write=${folder}`,
    // The supervisor's one worker thread runs the validator; the validator's own attempts are refused in
    // its realm (validator-thread.ts).
    '--allow-worker',
    // The supervisor itself needs little; the validator thread has its own heap limit.
    '--max-old-space-size=64',
    script,
  ];
}

export function spawnValidatorProcess(script: string, validatorFile: string): ChildProcess {
  return spawn(process.execPath, validatorProcessArgs(script, validatorFile), {
    env: validatorEnvironment(),
    stdio: ['pipe', 'pipe', 'ignore'],
    windowsHide: true,
  });
}

export function sendToProcess(child: ChildProcess, message: ToProcess): void {
  child.stdin?.write(encodeFrame(serialize(message)));
}
