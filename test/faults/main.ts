// The fault suite (`npm run test:faults`): real misbehaving servers, real SIGKILLs, a full disk, a locked folder
// and damaged stores meet the engine; prints the table (fault, runs, files verified, wrong bytes delivered, jobs
// lost) and `N passed, N failed`. FAULTS_SCALE=full runs the large counts (>= 50 kills); FAULTS_SEED repeats a run.
import { EventEmitter } from 'node:events';
import { hostileLocalScenarios } from './hostile-local-faults';
import { hostileServerScenarios } from './hostile-server-faults';
import { killScenario } from './kills';
import { leaseScenario } from './lease-faults';
import { localScenarios } from './local-faults';
import { seededRandom } from './random';
import { formatTable, passed, type FaultResult } from './report';
import { serverScenarios } from './server-faults';
import { storeScenarios } from './store-faults';

// The throttled test server waits for 'drain' or 'close' on long responses; many waits on one response are expected.
EventEmitter.defaultMaxListeners = 100;

const full = process.env.FAULTS_SCALE === 'full';
const seed = Number(process.env.FAULTS_SEED ?? Date.now() % 1_000_000);
const only = process.env.FAULTS_ONLY;

async function main(): Promise<number> {
  const random = seededRandom(seed);
  console.log(`fault suite: ${full ? 'full' : 'CI'} scale, seed ${seed} (FAULTS_SEED=${seed} repeats it)`);
  const runs: { name: string; run: () => Promise<FaultResult[]> }[] = [
    {
      name: 'kills',
      run: async () => [
        await killScenario(
          full ? { minRounds: 7, minKills: 56, killsPerRound: 8 } : { minRounds: 1, minKills: 5, killsPerRound: 5 },
          random,
        ),
      ],
    },
    { name: 'lease', run: async () => [await leaseScenario(full ? 6 : 1, random)] },
    { name: 'server', run: () => serverScenarios(full ? 8 : 2, random) },
    { name: 'local', run: () => localScenarios(full ? 3 : 1) },
    { name: 'store', run: () => storeScenarios() },
    { name: 'hostile-server', run: () => hostileServerScenarios(full ? 8 : 2, random) },
    { name: 'hostile-local', run: () => hostileLocalScenarios(full ? 4 : 1, random) },
  ];
  const results: FaultResult[] = [];
  for (const group of runs) {
    if (only && !only.split(',').includes(group.name)) continue;
    const started = Date.now();
    try {
      const got = await group.run();
      results.push(...got);
      for (const r of got)
        console.log(`  ${passed(r) ? 'pass' : 'FAIL'} ${r.fault} (${r.runs} runs)${r.failures.map((f) => `\n       - ${f}`).join('')}`);
    } catch (err) {
      results.push({
        fault: `${group.name} (crashed)`,
        runs: 0,
        filesVerified: 0,
        wrongBytes: 0,
        jobsLost: 0,
        failures: [String(err instanceof Error ? err.stack : err)],
      });
      console.log(`  FAIL ${group.name}: ${err instanceof Error ? err.stack : String(err)}`);
    }
    console.log(`  (${group.name}: ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }
  console.log();
  console.log(formatTable(results));
  const good = results.filter(passed).length;
  console.log(`\n${good} passed, ${results.length - good} failed`);
  return good === results.length ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
