// Scenario 6 (issue 17 point 3): the transfers of scenarios 1 and 2 (one large file, 1,000 small files) started
// through the extension's API inside code-server's extension host (Node 24), with the ratio to the CLI measured in
// the same bench run. Per repetition code-server starts once on a fresh workspace and user-data folder and
// bench/extension-host/index.ts (phase 'transfer', bench/extension-host/transfer.ts) runs both transfers, in an
// order that alternates from one repetition to the next; every file is then checked as in scenarios 1-2.
// The extension host trusts the bench's CA through NODE_EXTRA_CA_CERTS, as the CLI does.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCleanups } from '../../scripts/lib/cleanup.mjs';
import { buildExtension } from '../../scripts/lib/build.mjs';
import { freePort } from '../../scripts/lib/net.mjs';
import { realVsCodeTools } from '../../scripts/lib/tools.mjs';
import { median, summarize } from '../lib/stats.mjs';
import { verifyOutput } from '../lib/verify.mjs';
import { compileHostModule, runInVsCode } from '../lib/vscode-host.mjs';

const MiB = 1024 * 1024;
const PHASE_LIMIT_MS = 600_000;
const f0 = (x) => x.toFixed(0);
const f2 = (x) => x.toFixed(2);
const cell = (values, fmt, unit) => {
  const s = summarize(values.filter((v) => typeof v === 'number' && Number.isFinite(v)));
  return s.n ? `${fmt(s.min)} / **${fmt(s.median)}** / ${fmt(s.max)} ${unit}` : 'no figure';
};

/** The cases of one repetition: scenario 1's file and scenario 2's files, from the same nginx. */
function cases(ctx, dir, rep) {
  const url = (f) => `https://127.0.0.1:${ctx.nginx.fastPort}/${f.path}`;
  const all = [
    { id: 'large', urls: [url(ctx.fixtures.large)], expected: [ctx.fixtures.large] },
    { id: 'small', urls: ctx.fixtures.small.map(url), expected: ctx.fixtures.small },
  ]
    // BENCH_HOST_CASES=small (or large): only those transfers, for a quicker A/B loop while working.
    .filter((c) => !process.env.BENCH_HOST_CASES || process.env.BENCH_HOST_CASES.split(',').includes(c.id))
    .map((c) => ({
      ...c,
      dest: join(dir, `out-${c.id}`),
      // BENCH_HOST_PROFILE=1: a CPU profile of the extension host per transfer, kept in bench/work.
      profileTo: process.env.BENCH_HOST_PROFILE === '1' ? join(ctx.workDir, `host-${c.id}-rep${rep}.cpuprofile`) : undefined,
    }));
  return rep % 2 ? all : all.reverse();
}

async function repetition(tools, { ctx, repoRoot, hostModule, scratch, rep, log }) {
  const dir = join(scratch, `rep-${rep}`);
  const workspace = join(dir, 'workspace');
  mkdirSync(join(workspace, '.vscode'), { recursive: true });
  writeFileSync(join(workspace, '.vscode', 'settings.json'), '{}\n');
  const transfers = cases(ctx, dir, rep);
  for (const c of transfers) mkdirSync(c.dest, { recursive: true });
  const fixtureFile = join(dir, 'transfer.fixture.json');
  const resultsFile = join(dir, 'transfer.results.json');
  writeFileSync(
    fixtureFile,
    JSON.stringify({
      phase: 'transfer',
      workspaceFolder: workspace,
      resultsFile,
      transfers: transfers.map(({ id, urls, dest, profileTo }) => ({ id, urls, dest, profileTo })),
    }),
  );
  log(`6. repetition ${rep}: VS Code, ${transfers.map((c) => c.id).join(' then ')} through the API`);
  const result = await runInVsCode(tools, {
    repoRoot,
    hostModule,
    workspace,
    port: await freePort('127.0.0.1'),
    userDataDir: join(dir, 'user-data'),
    extensionsDir: join(dir, 'extensions'),
    fixtureFile,
    resultsFile,
    logFile: join(dir, 'transfer.code-server.log'),
    limitMs: PHASE_LIMIT_MS,
    env: { NODE_EXTRA_CA_CERTS: ctx.caFile },
  });
  const figures = result.transfers.map((t) => {
    const c = transfers.find((x) => x.id === t.id);
    const failure = t.state !== 'ACKNOWLEDGED' ? `${t.state}: ${t.error ?? ''}` : verifyOutput(c.dest, c.expected);
    log(
      `  host rep ${rep} ${t.id.padEnd(6)} ${failure ? `FAILED: ${failure}` : `transfer ${(t.transferMs / 1000).toFixed(2)} s, host cpu ${(t.cpuMs / 1000).toFixed(2)} s, rss +${f0(t.rssPeakMiB - t.rssBeforeMiB)} MiB (peak ${f0(t.rssPeakMiB)}), adding the files ${(t.addMs / 1000).toFixed(2)} s`}`,
    );
    return { ...t, rep, ok: !failure, failure, vscode: result.vscode, node: result.node };
  });
  for (const c of transfers) rmSync(c.dest, { recursive: true, force: true });
  spawnSync('sync');
  return figures;
}

/** The CLI's median wall time in scenario `id` of this run (ours on the bench's Node, or on Node 24). */
function cliWall(results, id, name) {
  const client = results[id]?.clients.find((c) => c.name === name);
  const ok = client?.runs.filter((r) => r.ok) ?? [];
  return ok.length ? median(ok.map((r) => r.wallS)) : undefined;
}

function render(runs, failures, results, reps) {
  const rows = [];
  const ratios = {};
  for (const id of ['large', 'small']) {
    const mine = runs.filter((r) => r.id === id && r.ok);
    const title = id === 'large' ? 'one large file (scenario 1)' : `${mine[0]?.files ?? 1000} small files in one job (scenario 2)`;
    if (!mine.length) {
      rows.push(`| ${title} | no run completed | | | | | |`);
      continue;
    }
    const seconds = mine.map((r) => r.transferMs / 1000);
    const bytes = id === 'large' ? results.fixtures.large.size : results.fixtures.small.reduce((s, f) => s + f.size, 0);
    const hostMedian = median(seconds);
    const vs = (name) => {
      const cli = cliWall(results, id, name);
      return cli === undefined ? 'not run' : `${f2(cli / hostMedian)} (CLI ${f2(cli)} s)`;
    };
    ratios[id] = { node20: cliWall(results, id, 'ours'), node24: cliWall(results, id, 'ours-node24'), host: hostMedian };
    rows.push(
      `| ${title} | ${cell(seconds, f2, 's')} (${f0(bytes / MiB / hostMedian)} MiB/s) | ${cell(
        mine.map((r) => r.cpuMs / 1000),
        f2,
        's',
      )} | ${cell(
        mine.map((r) => r.rssPeakMiB - r.rssBeforeMiB),
        f0,
        'MiB',
      )} (peak ${f0(median(mine.map((r) => r.rssPeakMiB)))}) | ${cell(
        mine.map((r) => r.addMs / 1000),
        f2,
        's',
      )} | ${vs('ours-node24')} | ${vs('ours')} |`,
    );
  }
  const first = runs.find((r) => r.vscode);
  const section = [
    '## 6. The same transfers through the API inside code-server (issue 17 point 3)',
    '',
    `${new Set(runs.filter((r) => r.ok).map((r) => r.rep)).size} of ${reps} repetitions${first ? ` in VS Code ${first.vscode} (code-server), extension host Node ${first.node}` : ''}. Per repetition code-server starts once on a fresh workspace; the extension host creates one job per transfer through the API (\`createJob\` with auto-complete, one \`addFiles\` for all its files), resumes it and times it until ACKNOWLEDGED (files in place); each file is then checked (name, size, sha256). The order of the two transfers alternates per repetition. CPU is the whole host's (user + system, every thread, VS Code's own extensions included), RSS growth is the host's peak (sampled every 50 ms) over its size before the job. The CLI's figure is its median wall time in scenarios 1-2 of this run (process start and adding the files included; here adding is timed apart).${failures.length ? ` Failed: ${failures.join('; ').replaceAll('|', '/')}.` : ''}`,
    '',
    '| transfer | in the extension host: resume to ACKNOWLEDGED (min / **median** / max) | host CPU | host RSS growth | adding the files through the API | CLI on Node 24 / host (wall) | CLI on Node 20 / host (wall) |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
    'A ratio above 1 means the extension host finished sooner than the CLI took as a whole.',
    '',
  ].join('\n');
  return { section, ratios };
}

/** Runs scenario 6; `results` holds this run's scenarios 1-2 (for the CLI's figures) and the fixtures. */
export async function runExtensionTransfers(ctx, results) {
  const { repoRoot, workDir, log, reps } = ctx;
  const tools = realVsCodeTools();
  buildExtension();
  const hostModule = await compileHostModule(repoRoot, join(repoRoot, 'out', 'bench', `extension-transfers-${process.pid}`));
  const scratch = mkdtempSync(join(workDir, 'extension-transfers-'));
  const onSigint = () => void runCleanups();
  process.once('SIGINT', onSigint);
  const runs = [];
  const failures = [];
  try {
    for (let rep = 1; rep <= reps; rep++) {
      try {
        runs.push(...(await repetition(tools, { ctx, repoRoot, hostModule, scratch, rep, log })));
      } catch (e) {
        failures.push(`repetition ${rep}: ${e instanceof Error ? e.message : e}`);
        log(`6. ${failures.at(-1)}`);
      }
    }
  } finally {
    process.removeListener('SIGINT', onSigint);
    if (failures.length || process.env.BENCH_KEEP_WORK === '1') log(`6. kept ${scratch} for its logs`);
    else rmSync(scratch, { recursive: true, force: true });
    rmSync(join(repoRoot, 'out', 'bench', `extension-transfers-${process.pid}`), { recursive: true, force: true });
  }
  for (const r of runs.filter((x) => !x.ok)) failures.push(`repetition ${r.rep} ${r.id}: ${r.failure}`);
  const { section, ratios } = render(runs, failures, { ...results, fixtures: ctx.fixtures }, reps);
  return { section, ratios, raw: runs };
}
