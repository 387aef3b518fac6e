// Where things live: the repository, the cache outside it, and per-run result folders.
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The cache outside the clone (real-vscode.sh uses the same variable and default). */
export const cacheDir = process.env.MANAGED_DOWNLOADS_CACHE ?? join(homedir(), '.cache', 'managed-downloads');

/** A sortable local time stamp for folder names: 20250101-120000. */
export function timeStamp(date = new Date()) {
  const p = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}-${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
}

/** test-results/<kind>-<time>/, created; what a run prints so a person can look at its logs and screenshots. */
export function resultsDir(kind) {
  const dir = join(repoRoot, 'test-results', `${kind}-${timeStamp()}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function seconds(sinceMs) {
  return ((Date.now() - sinceMs) / 1000).toFixed(1);
}
