// Turns the measurements into bench/RESULTS.md: machine, versions, one table per scenario with
// min / median / max and ratios of medians against ours, and the goals of issue 8 with their verdicts.
import { ratio, summarize } from './stats.mjs';

const MiB = 1024 * 1024;
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
const f0 = (x) => (Number.isFinite(x) ? x.toFixed(0) : 'n/a');
const triple = (s, fmt) => (s.n ? `${fmt(s.min)} / **${fmt(s.median)}** / ${fmt(s.max)}` : 'n/a');

function referenceOf(scenario) {
  const ok = (c) => c && c.runs.some((r) => r.ok);
  const ours = scenario.clients.find((c) => c.name === 'ours');
  if (ok(ours)) return ours;
  return scenario.clients.find((c) => c.name === 'curl' && ok(c)) ?? scenario.clients.find(ok);
}

export function transferTable(scenario) {
  const ref = referenceOf(scenario);
  const lines = [
    `## ${scenario.title}`,
    '',
    `| client | wall s (min / **median** / max) | MiB/s (median) | CPU s user+sys (median) | peak RSS MiB (min / **median** / max) | ${ref ? `X_wall / ${ref.name}_wall (per-rep range)` : 'ratio'} | runs ok |`,
    '|---|---|---|---|---|---|---|',
  ];
  for (const c of scenario.clients) {
    if (c.unavailable) {
      lines.push(`| ${c.label} | ${c.unavailable} | | | | | 0 |`);
      continue;
    }
    const ok = c.runs.filter((r) => r.ok);
    const wall = summarize(ok.map((r) => r.wallS));
    const cpu = summarize(ok.map((r) => r.cpuS));
    const rss = summarize(ok.map((r) => r.maxRssMiB));
    const rate = wall.n ? scenario.bytes / MiB / wall.median : NaN;
    const r = ref && c !== ref ? ratio(c.runs, ref.runs, (x) => x.wallS) : undefined;
    const ratioCell = c === ref ? '1 (reference)' : r ? `${f2(r.value)} (${f2(r.min)}-${f2(r.max)})` : 'n/a';
    const failures = c.runs.filter((x) => !x.ok);
    const failNote = failures.length ? `; failed: ${failures.map((x) => `rep ${x.rep}: ${x.failure}`).join('; ').replaceAll('|', '/')}` : '';
    lines.push(`| ${c.label} | ${triple(wall, f2)} | ${f0(rate)} | ${f2(cpu.median)} | ${triple(rss, f0)} | ${ratioCell} | ${ok.length} of ${c.runs.length}${failNote} |`);
  }
  lines.push('');
  if (ref && ref.name === 'ours') lines.push('A ratio above 1 means ours took less wall time than that client.');
  else if (ref) lines.push(`Ours did not run, so ratios are against ${ref.name}: above 1 means ${ref.name} was faster.`);
  lines.push('');
  return lines.join('\n');
}

/** Ratio of another client's median wall time to ours (above 1: ours is faster), or undefined. */
export function wallRatioToOurs(scenario, clientName) {
  if (!scenario) return undefined;
  const ours = scenario.clients.find((c) => c.name === 'ours');
  const other = scenario.clients.find((c) => c.name === clientName);
  if (!ours || !other || ours.unavailable || other.unavailable) return undefined;
  return ratio(other.runs, ours.runs, (r) => r.wallS);
}

export function oursMaxRss(scenarios) {
  const runs = scenarios.flatMap((s) => s?.clients.find((c) => c.name === 'ours')?.runs ?? []).filter((r) => r.ok);
  return runs.length ? Math.max(...runs.map((r) => r.maxRssMiB)) : undefined;
}

export function goalRow(goal, verdict, detail) {
  return `| ${goal} | ${verdict} | ${detail.replaceAll('|', '/')} |`;
}

export function render({ header, sections, goals }) {
  return [header, ...sections, '## Goals of issue 8', '', '| goal | verdict | figure / what holds it back |', '|---|---|---|', ...goals, ''].join('\n');
}
