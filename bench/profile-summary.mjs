// Reads V8 CPU profiles (node --cpu-prof writes one .cpuprofile per thread) and prints where the samples went:
// self time per function (name, file:line), the top N, and the share of idle, GC and program. The figures in
// bench/FINDINGS.md come from it. `node bench/profile-summary.mjs [--top N] FILE.cpuprofile...`
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args.splice(topAt, 2)[1]) : 15;

for (const file of args) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  // timeDeltas[i] is the time before sample i; charge it to the sample's node.
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const perFunction = new Map();
  let total = 0;
  for (const [id, us] of selfUs) {
    const f = byId.get(id).callFrame;
    const where = f.url ? `${basename(f.url)}:${f.lineNumber + 1}` : '';
    const key = `${f.functionName || '(anonymous)'} ${where}`.trim();
    perFunction.set(key, (perFunction.get(key) ?? 0) + us);
    total += us;
  }
  const ms = (us) => `${(us / 1000).toFixed(0)} ms`;
  const share = (name) => perFunction.get(name) ?? 0;
  const idle = share('(idle)');
  const gc = share('(garbage collector)');
  console.log(`${basename(file)}: ${ms(total)} sampled; idle ${ms(idle)}, GC ${ms(gc)}, busy ${ms(total - idle)}`);
  for (const [name, us] of [...perFunction].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`  ${ms(us).padStart(8)} ${((100 * us) / total).toFixed(1).padStart(5)}%  ${name}`);
}
