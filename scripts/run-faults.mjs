#!/usr/bin/env node
// `npm run test:faults`: the fault suite (test/faults/main.ts) through tsx. CI-sized by default;
// FAULTS_SCALE=full for the large run (>= 50 kills), FAULTS_SEED=N to repeat a run, FAULTS_ONLY=kills,lease,server,local,store.
// Needs root for the disk-full case (a real tmpfs mount): without it that case fails loudly, it is never skipped.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const r = spawnSync(process.execPath, ['--import', 'tsx', join(repo, 'test', 'faults', 'main.ts')], { cwd: repo, stdio: 'inherit' });
process.exit(r.status ?? 1);
