// Set-up and reading of a job store's folder as tests need it: lease files written by hand (a holder that is
// alive but not in this process, or a forged one), and the text of every file (to look for what must not be there).
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';

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

/** The text of every file under `folder`, read as latin1 so that any byte sequence can be searched for. */
export function allFileText(folder: string): string {
  let text = '';
  for (const name of readdirSync(folder)) {
    const p = path.join(folder, name);
    text += statSync(p).isDirectory() ? allFileText(p) : readFileSync(p, 'latin1');
  }
  return text;
}
