// Runs demo/server.ts (the demo HTTPS server) as a child process and waits for its ready line.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { onCleanup, trackProcessGroup } from './cleanup.mjs';
import { repoRoot } from './paths.mjs';

/**
 * @param {{ host?: string, port?: number, stateDir?: string, quiet?: boolean }} [options]
 * @returns {Promise<{ origin: string, host: string, port: number, caPem: string, caFile: string,
 *   files: { name: string, url: string, bytes: number, sha256: string, description: string }[], stop: () => Promise<void> }>}
 */
export function startDemoServerProcess(options = {}) {
  const args = ['--import', 'tsx', join(repoRoot, 'demo', 'server.ts')];
  if (options.host) args.push('--host', options.host);
  if (options.port) args.push('--port', String(options.port));
  if (options.stateDir) args.push('--state', options.stateDir);
  if (options.quiet) args.push('--quiet');
  // Its own process group: a terminal's Ctrl-C reaches this script, which then stops it in order.
  const child = spawn(process.execPath, args, { cwd: repoRoot, detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  const untrack = trackProcessGroup(child.pid);
  let exited = false;
  const exitedPromise = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      exited = true;
      resolve({ code, signal });
    }),
  );
  const stop = async () => {
    if (!exited) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // gone
      }
      await Promise.race([exitedPromise, new Promise((r) => setTimeout(r, 5000))]);
      if (!exited) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
    untrack();
  };
  onCleanup(stop);
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      if (line.startsWith('DEMO_SERVER_READY ')) {
        resolve({ ...JSON.parse(line.slice('DEMO_SERVER_READY '.length)), stop, exited: exitedPromise });
      }
    });
    void exitedPromise.then(({ code, signal }) =>
      reject(new Error(`the demo server exited (${signal ?? `exit ${code}`}) before it was ready; its messages are above`)),
    );
  });
}
