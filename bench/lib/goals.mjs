// The goals of issue 8, each judged from this run's figures: met, not met, or not measured (and why).
import { goalRow, oursMaxRss, wallRatioToOurs } from './report.mjs';
import { ratio } from './stats.mjs';

const f2 = (x) => x.toFixed(2);
const fig = (r) => `${f2(r.value)} (per rep ${f2(r.min)}-${f2(r.max)})${r.standIn}`;
const why = (s, fallback) => {
  if (!s) return 'scenario not run (BENCH_ONLY)';
  const ours = s.clients.filter((c) => c.name.startsWith('ours'));
  if (ours.length && ours.every((c) => c.unavailable)) return ours.map((c) => c.unavailable).join('; ');
  if (ours.length && ours.every((c) => c.unavailable || !c.runs.some((r) => r.ok)))
    return `ours failed every run: ${ours.map((c) => c.runs[0]?.failure ?? c.unavailable).join('; ')}`;
  return fallback;
};
const verdict = (ok) => (ok ? 'met' : '**not met**');
/** The sections of bench/FINDINGS.md that say why a goal is not met (profiled, not measured per run). */
const FINDINGS_SECTION = {
  large: 'The large file',
  rss: 'Peak RSS',
  small: 'Many small files',
  capped: 'The capped server',
  host: 'The extension host',
};
/** Points a goal that is not met at the profiled cause in bench/FINDINGS.md. */
const cause = (ok, key) => (ok ? '' : `; cause: bench/FINDINGS.md, "${FINDINGS_SECTION[key]}"`);
/** other_cpu / name_cpu, the medians of CPU time (user+sys): a shared machine's load moves it less than wall time. */
function cpuRatio(scenario, other, name) {
  const a = scenario?.clients.find((c) => c.name === other);
  const b = scenario?.clients.find((c) => c.name === name);
  const r = a && b && !a.unavailable && !b.unavailable ? ratio(a.runs, b.runs, (x) => x.cpuS) : undefined;
  return r ? `; CPU ${other}/${name} ${f2(r.value)}` : '';
}

export function judgeGoals({ large, small, capped, certCost, extensionCost }) {
  const rows = [];
  const curlLarge = wallRatioToOurs(large, 'curl');
  rows.push(
    curlLarge
      ? goalRow(
          'one large file: curl_wall / ours_wall >= 1.0',
          verdict(curlLarge.value >= 1),
          fig(curlLarge) + cause(curlLarge.value >= 1, 'large'),
        )
      : goalRow('one large file: curl_wall / ours_wall >= 1.0', 'not measured', why(large, 'curl did not run')),
  );
  const rss = oursMaxRss([large, capped, small]);
  rows.push(
    rss !== undefined
      ? goalRow(
          'peak RSS < 128 MiB for any file size',
          verdict(rss < 128),
          `largest peak RSS of ours (CLI or engine alone) in scenarios 1-3: ${rss.toFixed(0)} MiB${cause(rss < 128, 'rss')}`,
        )
      : goalRow('peak RSS < 128 MiB for any file size', 'not measured', why(large, 'no successful run of ours')),
  );
  const smallClient = small?.clients.find((c) => c.name.startsWith('aria2c-j'))?.name;
  const aria2Small = smallClient && wallRatioToOurs(small, smallClient);
  rows.push(
    aria2Small
      ? goalRow(
          `1,000 small files: at least aria2c's rate (${smallClient}_wall / ours_wall >= 1)`,
          verdict(aria2Small.value >= 1),
          fig(aria2Small) + cause(aria2Small.value >= 1, 'small'),
        )
      : goalRow("1,000 small files: at least aria2c's rate", 'not measured', why(small, 'aria2c did not run')),
  );
  const curlCapped = wallRatioToOurs(capped, 'curl');
  rows.push(
    curlCapped
      ? goalRow(
          'capped server: >= 4x curl (curl_wall / ours_wall >= 4)',
          verdict(curlCapped.value >= 4),
          fig(curlCapped) + cause(curlCapped.value >= 4, 'capped'),
        )
      : goalRow('capped server: >= 4x curl', 'not measured', why(capped, 'curl did not run')),
  );
  const aria2Capped = wallRatioToOurs(capped, 'aria2c-x8');
  rows.push(
    aria2Capped
      ? goalRow(
          'capped server: not behind aria2c -x8 (aria2c_wall / ours_wall >= 1)',
          verdict(aria2Capped.value >= 1),
          fig(aria2Capped) + cause(aria2Capped.value >= 1, 'capped'),
        )
      : goalRow('capped server: not behind aria2c -x8', 'not measured', why(capped, 'aria2c did not run')),
  );
  for (const g of certCost.goals) rows.push(goalRow(g.goal, g.verdict, g.detail));
  for (const g of extensionCost.goals) rows.push(goalRow(g.goal, g.verdict, g.detail));
  return rows;
}

/**
 * The goals of issue 17 (past curl), each judged from this run: the 1 GiB file against curl with the CLI on the
 * bench's Node and on Node 24 (code-server's), peak RSS on both, the 1,000 files against curl --parallel-max 1,
 * and the extension host's path. `console` lines too, so a run says met / not met as it ends.
 */
export function judgeIssue17Goals({ large, small, hostTransfers }) {
  const rows = [];
  const against = (scenario, other, oursName, goal, key) => {
    const r = wallRatioToOurs(scenario, other, oursName);
    if (!r) return goalRow(goal, 'not measured', why(scenario, `${other} or ${oursName} did not complete a run`));
    return goalRow(goal, verdict(r.value >= 1), fig(r) + cpuRatio(scenario, other, oursName) + cause(r.value >= 1, key));
  };
  // Plain Node without the product (bench/clients): what the runtime reaches here, beside curl (bench/FINDINGS.md).
  const reference = (scenario, other, names, what) => {
    const parts = names.flatMap((name) => {
      const r = wallRatioToOurs(scenario, other, name);
      return r ? [`${name}: ${fig(r)}${cpuRatio(scenario, other, name)}`] : [];
    });
    const goal = `plain Node on ${what} (reference clients, not ours): ${other}_wall / X_wall`;
    return parts.length
      ? goalRow(goal, 'reference', parts.join('; '))
      : goalRow(goal, 'not measured', why(scenario, 'no reference client ran'));
  };
  rows.push(
    against(large, 'curl', 'ours', "the large file over TLS (scenario 1), CLI on the bench's Node: curl_wall / ours_wall >= 1.0", 'large'),
  );
  rows.push(
    against(large, 'curl', 'ours-node24', "the large file over TLS, CLI on Node 24 (code-server's): curl_wall / ours_wall >= 1.0", 'large'),
  );
  rows.push(
    reference(large, 'curl', ['node-tuned', 'node-range2', 'node-range2-node24', 'node-onread', 'node-onread-node24'], 'the large file'),
  );
  for (const [name, label] of [
    ['ours', "the bench's Node"],
    ['ours-node24', 'Node 24'],
  ]) {
    const rss = oursMaxRss([large, small], [name]);
    rows.push(
      rss === undefined
        ? goalRow(`peak RSS < 128 MiB, CLI on ${label}`, 'not measured', why(large, `${name} completed no run`))
        : goalRow(
            `peak RSS < 128 MiB, CLI on ${label}`,
            verdict(rss < 128),
            `largest peak over scenarios 1-2: ${rss.toFixed(0)} MiB${cause(rss < 128, 'rss')}`,
          ),
    );
  }
  const par = small?.clients.find((c) => c.name.startsWith('curl-par'))?.name ?? 'curl-par1';
  rows.push(against(small, par, 'ours', `the small files in one job (scenario 2): ${par}_wall / ours_wall >= 1.0`, 'small'));
  rows.push(against(small, par, 'ours-node24', `the small files, CLI on Node 24: ${par}_wall / ours_wall >= 1.0`, 'small'));
  const loops = ['keepalive', 'onread-loop'].flatMap((k) => ['', '-ahead', '-node24', '-ahead-node24'].map((v) => `node-${k}${v}`));
  rows.push(reference(small, par, loops, 'the small files'));
  const goal = 'the same two scenarios through the API inside code-server, with the ratio to the CLI';
  if (!hostTransfers) rows.push(goalRow(goal, 'not measured', 'scenario 6 not run (BENCH_ONLY)'));
  else {
    const parts = ['large', 'small'].map((id) => {
      const r = hostTransfers.ratios[id];
      if (!r) return `${id}: no run completed`;
      const vs = (cli) => (cli === undefined ? 'CLI not run' : f2(cli / r.host));
      return `${id}: host ${f2(r.host)} s, CLI_wall / host ${vs(r.node24)} (CLI on Node 24), ${vs(r.node20)} (Node 20)`;
    });
    const measured = ['large', 'small'].every((id) => hostTransfers.ratios[id]);
    rows.push(goalRow(goal, measured ? 'met (measured)' : 'not measured', `${parts.join('; ')} (scenario 6)`));
  }
  return rows;
}
