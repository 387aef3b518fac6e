// Scenario 4 of issue 8: what the certificate gate costs per connection. bench/cert-cost.ts opens
// connections to nginx through the engine's connection path (src/core/net + src/core/tls, run with tsx);
// this turns its connections-per-second into medians and the milliseconds each case adds.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { median, summarize } from '../lib/stats.mjs';

const NEEDS = ['src/core/tls/service.ts', 'src/core/net/connection-provider.ts', 'src/validator/workspace-validator.ts'];
const CONNECTIONS_PER_ROUND = 200;
const NO_VALIDATOR = 'gate, no validator (phase 1 only)';
const CACHE_HIT = 'gate, workspace validator (worker), cache hit';

const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
const f0 = (x) => (Number.isFinite(x) ? x.toFixed(0) : 'n/a');

function notAvailable(status) {
  return {
    section: [
      '## 4. Certificate validation cost',
      '',
      '| case | result |',
      '|---|---|',
      `| no validator, cache hit, cache miss | ${status} |`,
      '',
    ].join('\n'),
    goals: [{ goal: 'validator cache hit: < 1 ms added per connection', verdict: 'not measured', detail: status }],
  };
}

/** Median milliseconds per connection of `name` minus those of `base`, round by round. */
function addedMs(cases, name, base) {
  return cases[name].map((ms, i) => ms - cases[base][i]);
}

export async function runCertCost({ repoRoot, workDir, log, reps, port, caFile }) {
  const missing = NEEDS.filter((p) => !existsSync(join(repoRoot, p)));
  if (missing.length) return notAvailable(`not available yet (needs ${missing.join(', ')})`);
  const rounds = Math.max(reps, 3);
  log(`4. certificate validation cost: ${rounds} rounds of ${CONNECTIONS_PER_ROUND} connections per case`);
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      join(repoRoot, 'bench/cert-cost.ts'),
      String(port),
      caFile,
      String(rounds),
      String(CONNECTIONS_PER_ROUND),
      join(workDir, 'validator'),
    ],
    {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 600_000,
    },
  );
  if (r.status !== 0) return notAvailable(`failed: ${(r.stderr || r.stdout).trim().split('\n').slice(0, 3).join(' / ')}`);
  const { cases, validatorCalls, expectedCalls } = JSON.parse(r.stdout.trim().split('\n').pop());
  const lines = [
    '## 4. Certificate validation cost',
    '',
    `Full TLS handshakes with nginx (RSA 2048), one at a time, the cases alternating connection by connection, ${CONNECTIONS_PER_ROUND} per case and round, ${rounds} rounds; each connection closed as soon as the gate accepted it. Figures are per-round medians of single connections (connections/s = 1000 / median ms). Validators accept: an in-process one (the API's kind; called ${validatorCalls} times in all, expected ${expectedCalls}: once per connection of its miss case${validatorCalls === expectedCalls ? ', none in the hit case' : '; **the cache did not behave as expected**'}), and a workspace validator file compiled with esbuild and run in a worker thread (src/validator).`,
    '',
    '| case | connections/s (min / **median** / max) | ms per connection (median) | ms added vs no validator (median; per-round range) | no-validator_rate / case_rate |',
    '|---|---|---|---|---|',
  ];
  for (const [name, msPerRound] of Object.entries(cases)) {
    const rate = summarize(msPerRound.map((ms) => 1000 / ms));
    const added = name === NO_VALIDATOR ? undefined : addedMs(cases, name, NO_VALIDATOR);
    const addedCell = added ? `${f2(median(added))} (${f2(Math.min(...added))} to ${f2(Math.max(...added))})` : '0 (reference)';
    lines.push(
      `| ${name} | ${f0(rate.min)} / **${f0(rate.median)}** / ${f0(rate.max)} | ${f2(median(msPerRound))} | ${addedCell} | ${f2(median(cases[NO_VALIDATOR].map((ms) => 1000 / ms)) / rate.median)} |`,
    );
  }
  lines.push('');
  const hit = addedMs(cases, CACHE_HIT, NO_VALIDATOR);
  const hitMs = median(hit);
  return {
    section: lines.join('\n'),
    goals: [
      {
        goal: 'validator cache hit: < 1 ms added per connection',
        verdict: hitMs < 1 ? 'met' : '**not met**',
        detail: `${f2(hitMs)} ms added (per-round ${f2(Math.min(...hit))} to ${f2(Math.max(...hit))})`,
      },
    ],
  };
}
