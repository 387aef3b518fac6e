#!/usr/bin/env node
// Certificate rejections per server, as a rate, from the rejection log: a one-off bad certificate and a
// server that fails every connection look different (the seed's point). Exits 1 when some server's rate
// is above the limit, so a cron job or a CI step can alert on a flood.
//
//   managed-downloads rejections --store DIR --json | node rejection-rate.mjs [--max-per-hour N]
//
// In VS Code the same log is behind "Managed Downloads: Show Certificate Rejections"; the extension keeps
// it in the workspace's storage folder, which `--store` can point at too.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { 'max-per-hour': { type: 'string', default: '60' } } });
const maxPerHour = Number(values['max-per-hour']);
if (!Number.isFinite(maxPerHour) || maxPerHour <= 0) {
  console.error('--max-per-hour needs a positive number');
  process.exit(2);
}

const report = JSON.parse(readFileSync(0, 'utf8'));
const MINUTE = 60_000;
let floods = 0;
for (const e of [...report.endpoints].sort((a, b) => b.count - a.count)) {
  // A burst within a minute counts as a minute, so that three rejections in one second are not "10,800/h".
  const spanMs = Math.max(MINUTE, Date.parse(e.lastTime) - Date.parse(e.firstTime));
  const perHour = (e.count / spanMs) * 3_600_000;
  const flood = e.count > 1 && perHour > maxPerHour;
  if (flood) floods++;
  const what =
    e.count === 1 ? '1 rejection (one-off)' : `${e.count} rejections in ${Math.round(spanMs / MINUTE)} min (${Math.round(perHour)}/h)`;
  const phases = Object.entries(e.byPhase)
    .map(([phase, n]) => `${phase} ${n}`)
    .join(', ');
  console.log(`${flood ? 'FLOOD' : 'ok   '}  ${e.endpoint}  ${what}; ${e.certificates.length} certificate(s); ${phases}`);
  console.log(`       last: ${e.lastReason}`);
}
if (report.endpoints.length === 0) console.log('No certificate rejections.');
process.exit(floods > 0 ? 1 : 0);
