// Set-up and reading of a job store's folder as tests need it: lease files written by hand (a holder that is
// alive but not in this process, or a forged one), two windows on one store (a holder and a follower), and the
// text of every file (to look for what must not be there).
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { JobEngine, type JobEngineOptions } from '../../src/core/jobs/engine';
import { LeasedEngine } from '../../src/core/store/leased-engine';
import { FAST, type TestSandbox } from './engine';

/** The fields of a lease file (src/core/store/lease.ts), loosely typed: tests also write forged ones. */
export type LeaseFields = { generation: number } & Record<string, unknown>;

/** Writes `lease`, as it is, where the store's lease of its generation lives (making the store's folder). */
export function writeLeaseFile(store: string, lease: LeaseFields): string {
  mkdirSync(store, { recursive: true });
  const file = path.join(store, `lease-${lease.generation}.json`);
  writeFileSync(file, JSON.stringify(lease));
  return file;
}

/**
 * A lease held by a living process on this host (this test's own process), with a heartbeat a minute ahead
 * unless `fields` says otherwise: the store is taken for as long as the test needs, by nobody that answers.
 */
export function writeLiveLease(store: string, fields: LeaseFields & { holder: string }): string {
  return writeLeaseFile(store, { pid: process.pid, host: hostname(), heartbeat: Date.now() + 60_000, ttlMs: 60_000, ...fields });
}

/**
 * Two LeasedEngines on `box`'s store, as two windows: the first opened holds the lease, the second follows.
 * Both are disposed when the test ends, the holder first. `engine` adds to the options of the engine either opens
 * when it holds the store (a window's own secret store, say); `forwardTimeoutMs` is how long a forwarded command
 * may take (3 s unless told).
 */
export async function holderAndFollower(
  box: TestSandbox,
  more: { engine?: Partial<JobEngineOptions>; forwardTimeoutMs?: number } = {},
): Promise<{ holder: LeasedEngine; follower: LeasedEngine }> {
  const open = () => JobEngine.open({ storeDir: box.store, ...FAST, ...more.engine });
  const options = {
    storeDir: box.store,
    open,
    lease: { ttlMs: 2000, renewMs: 100 },
    pollMs: 50,
    forwardTimeoutMs: more.forwardTimeoutMs ?? 3000,
  };
  const holder = await LeasedEngine.open(options);
  const follower = await LeasedEngine.open(options);
  box.later(async () => {
    await holder.dispose();
    await follower.dispose();
  });
  return { holder, follower };
}

/** The text of every file under `folder`, read as latin1 so that any byte sequence can be searched for. */
export function allFileText(folder: string): string {
  let text = '';
  for (const name of readdirSync(folder)) {
    const p = path.join(folder, name);
    text += statSync(p).isDirectory() ? allFileText(p) : readFileSync(p, 'latin1');
  }
  return text;
}
