// Turns the measurements into bench/RESULTS.md: machine, versions, one table per scenario with
// min / median / max and ratios of medians against ours, and the goals of issue 8 with their verdicts.
import { ratio, summarize } from './stats.mjs';

const MiB = 1024 * 1024;
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
const f0 = (x) => (Number.isFinite(x) ? x.toFixed(0) : 'n/a');
const triple = (s, fmt) => (s.n ? `${fmt(s.min)} / **${fmt(s.median)}** / ${fmt(s.max)}` : 'n/a');

function referenceOf(scenario) {
  const ok = (c) => c && c.runs.some((r) => r.ok);
  for (const name of ['ours', 'ours-engine', 'curl']) {
    const c = scenario.clients.find((x) => x.name === name);
    if (ok(c)) return c;
  }
  return scenario.clients.find(ok);
}

export function transferTable(scenario) {
  const ref = referenceOf(scenario);
  const lines = [
    `## ${scenario.title}`,
    '',
    `| client | wall s (min / **median** / max) | MiB/s (median) | CPU s user+sys (median) | peak RSS MiB (min / **median** / max) | ${ref ? `X_wall / ${ref.name}_wall (per-rep range)` : 'wall ratio'} | ${ref ? `X_cpu / ${ref.name}_cpu` : 'CPU ratio'} | runs ok |`,
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const c of scenario.clients) {
    if (c.unavailable) {
      lines.push(`| ${c.label} | ${c.unavailable} | | | | | | 0 |`);
      continue;
    }
    const ok = c.runs.filter((r) => r.ok);
    const wall = summarize(ok.map((r) => r.wallS));
    const cpu = summarize(ok.map((r) => r.cpuS));
    const rss = summarize(ok.map((r) => r.maxRssMiB));
    const rate = wall.n ? scenario.bytes / MiB / wall.median : NaN;
    const r = ref && c !== ref ? ratio(c.runs, ref.runs, (x) => x.wallS) : undefined;
    const ratioCell = c === ref ? '1 (reference)' : r ? `${f2(r.value)} (${f2(r.min)}-${f2(r.max)})` : 'n/a';
    const rc = ref && c !== ref ? ratio(c.runs, ref.runs, (x) => x.cpuS) : undefined;
    const cpuCell = c === ref ? '1' : rc ? f2(rc.value) : 'n/a';
    const failures = c.runs.filter((x) => !x.ok);
    const failNote = failures.length
      ? `; failed: ${failures
          .map((x) => `rep ${x.rep}: ${x.failure}`)
          .join('; ')
          .replaceAll('|', '/')}`
      : '';
    lines.push(
      `| ${c.label} | ${triple(wall, f2)} | ${f0(rate)} | ${f2(cpu.median)} | ${triple(rss, f0)} | ${ratioCell} | ${cpuCell} | ${ok.length} of ${c.runs.length}${failNote} |`,
    );
  }
  lines.push('');
  if (ref?.name === 'ours')
    lines.push(
      'A ratio above 1 means ours took less wall time (or CPU) than that client. CPU ratios shrug off the load of a shared machine better than wall ratios.',
    );
  else if (ref?.name === 'ours-engine')
    lines.push(
      'The CLI did not complete a run, so ratios are against the engine alone: above 1 means the engine took less wall time than that client.',
    );
  else if (ref) lines.push(`Ours did not run, so ratios are against ${ref.name}: above 1 means ${ref.name} was faster.`);
  lines.push('');
  return lines.join('\n');
}

/**
 * Ratio of another client's median wall time to ours (above 1: ours is faster), or undefined. Ours is the
 * CLI; when the CLI completed no run, the engine alone stands in and `stand_in` says so.
 */
export function wallRatioToOurs(scenario, clientName, oursName = 'ours') {
  if (!scenario) return undefined;
  const ok = (c) => c && !c.unavailable && c.runs.some((r) => r.ok);
  const cli = scenario.clients.find((c) => c.name === oursName);
  const engine = scenario.clients.find((c) => c.name === 'ours-engine');
  const ours = ok(cli) ? cli : oursName === 'ours' && ok(engine) ? engine : undefined;
  const other = scenario.clients.find((c) => c.name === clientName);
  if (!ours || !ok(other)) return undefined;
  const r = ratio(other.runs, ours.runs, (x) => x.wallS);
  return r && { ...r, standIn: ours === engine ? ' (the engine alone: the CLI completed no run)' : '' };
}

/** The largest peak RSS of ours (the CLI and the engine alone, or only the clients named) over the scenarios. */
export function oursMaxRss(scenarios, names = undefined) {
  const mine = (c) => (names ? names.includes(c.name) : c.name.startsWith('ours'));
  const runs = scenarios.flatMap((s) => (s?.clients ?? []).filter(mine).flatMap((c) => c.runs)).filter((r) => r.ok);
  return runs.length ? Math.max(...runs.map((r) => r.maxRssMiB)) : undefined;
}

export function goalRow(goal, verdict, detail) {
  return `| ${goal} | ${verdict} | ${detail.replaceAll('|', '/')} |`;
}

/** The "## Summary" section of bench/FINDINGS.md (its text up to the next section), or undefined. */
export function findingsSummary(markdown) {
  const m = markdown.match(/^## Summary\n([\s\S]*?)(?=^## )/m);
  return m?.[1].trim();
}

export function render({ header, sections, goals, goals17 = [], findings }) {
  const notes = [
    '## Where the time goes, what was tried, the limit (profiled, not measured per run)',
    '',
    'bench/FINDINGS.md has the profiles, the figures they were measured with, what was tried and did not help, the axios decision and the proof of what curl does that Node cannot. Its summary:',
    '',
    findings ?? '(bench/FINDINGS.md has no "## Summary" section)',
    '',
  ];
  const table = (title, rows) =>
    rows.length ? [title, '', '| goal | verdict | figure / what holds it back |', '|---|---|---|', ...rows, ''] : [];
  return [
    header,
    ...sections,
    ...table('## Goals of issue 17 (past curl)', goals17),
    ...table('## Goals of issue 8', goals),
    ...notes,
  ].join('\n');
}
