// The real-VS-Code tools (Node 24, code-server, Chromium), installed or found by scripts/real-vscode.sh.
import { spawnSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ScriptError } from './cleanup.mjs';
import { repoRoot } from './paths.mjs';

let cached;
/**
 * Runs real-vscode.sh (under a second when the cache is warm; minutes the first time, printing what it
 * installs as it goes) and returns { node24, codeServer, codeServerEntry, chromium }.
 */
export function realVsCodeTools() {
  if (cached) return cached;
  const r = spawnSync('bash', [join(repoRoot, 'scripts', 'real-vscode.sh')], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (r.error) throw new ScriptError(`cannot run scripts/real-vscode.sh: ${r.error.message} (bash is needed)`);
  if (r.status !== 0) throw new ScriptError(`scripts/real-vscode.sh failed (exit ${r.status}); what it needs is in its messages above`);
  const values = Object.fromEntries(
    r.stdout
      .split('\n')
      .map((line) => /^([A-Z0-9_]+)=(.*)$/.exec(line.trim()))
      .filter(Boolean)
      .map((m) => [m[1], m[2]]),
  );
  for (const key of ['NODE24', 'CODE_SERVER', 'CHROMIUM']) {
    if (!values[key]) throw new ScriptError(`scripts/real-vscode.sh did not print ${key}=`);
  }
  cached = {
    node24: values.NODE24,
    node24Bin: dirname(values.NODE24),
    codeServer: values.CODE_SERVER,
    // The bin is a `#!/usr/bin/env node` script; running it with Node 24 directly avoids picking up Node 20.
    codeServerEntry: realpathSync(values.CODE_SERVER),
    chromium: values.CHROMIUM,
  };
  return cached;
}
