// Scenario 4 of issue 8, the measuring side: connections per second through the engine's own connection
// path (GatedConnectionProvider: TLS handshake, then the two-phase certificate gate) against nginx, with
// no validator, with a validator whose cache hits, and with one whose cache is cleared before every
// connection (so it is called every time), both for an in-process validator (the API's kind) and for a
// workspace validator file compiled and run in a worker thread; a plain Node TLS connection is the floor.
// Run by bench/scenarios/cert-cost.mjs: `tsx bench/cert-cost.ts PORT CA_FILE ROUNDS CONNECTIONS SCRATCH_DIR`;
// prints one JSON object: { cases: { [name]: number[] } }: per round, the median milliseconds one
// connection of that case took. Cases alternate connection by connection, so load from other work on
// the machine falls on all of them alike.
import { once } from 'node:events';
import * as tls from 'node:tls';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JobRecord } from '../src/core/model/job';
import { benchJob } from './lib/bench-job';
import { GatedConnectionProvider } from '../src/core/net/connection-provider';
import type { GatedAgent } from '../src/core/net/gated-agent';
import { CertificateService } from '../src/core/tls/service';
import { WorkspaceValidatorController } from '../src/validator/workspace-validator';

const [port, caFile, rounds, connections, scratch] = [
  Number(process.argv[2]),
  process.argv[3],
  Number(process.argv[4] ?? 3),
  Number(process.argv[5] ?? 200),
  process.argv[6],
];
const host = '127.0.0.1';

const job = benchJob;

const service = new CertificateService({ trust: { extraCaFiles: [caFile] } });
const provider = new GatedConnectionProvider(service);
let validatorCalls = 0;
const acceptAll = () => {
  validatorCalls++;
  return 0;
};

const noValidatorJob = job('none', 'none');
const cachedJob = job('hit', 'api');
const uncachedJob = job('miss', 'api');
service.setJobValidator(cachedJob.id, acceptAll);
service.setJobValidator(uncachedJob.id, acceptAll);
const workspaceHitJob = job('worker-hit', 'workspace');
const workspaceMissJob = job('worker-miss', 'workspace');
// A workspace validator file that accepts after looking at what it was given (as a real one would).
mkdirSync(scratch, { recursive: true });
const validatorFile = join(scratch, 'accept-validator.ts');
writeFileSync(
  validatorFile,
  `import { S_OK, type ValidationInput } from 'managed-downloads/validator';\nexport default function validate(input: ValidationInput) {\n  return input.certificate.sha256.length === 64 ? S_OK : 1;\n}\n`,
);
const controller = new WorkspaceValidatorController(service, { watch: false });

async function throughGate(record: JobRecord): Promise<void> {
  const agent = provider.agentFor(record, 'https:') as GatedAgent;
  const socket = await provider.open(agent, { host, port });
  socket.destroy();
}

async function plainTls(ca: string): Promise<void> {
  const socket = tls.connect({ host, port, ca, ALPNProtocols: ['http/1.1'] });
  await once(socket, 'secureConnect');
  socket.destroy();
}

const ca = readFileSync(caFile, 'utf8');
const cases: Record<string, () => Promise<void>> = {
  'plain Node TLS (no gate)': () => plainTls(ca),
  'gate, no validator (phase 1 only)': () => throughGate(noValidatorJob),
  'gate, validator cache hit': () => throughGate(cachedJob),
  'gate, validator cache miss (in-process validator)': async () => {
    service.clearCache(uncachedJob.id);
    await throughGate(uncachedJob);
  },
  'gate, workspace validator (worker), cache hit': () => throughGate(workspaceHitJob),
  'gate, workspace validator (worker), cache miss': async () => {
    service.clearCache(workspaceMissJob.id);
    await throughGate(workspaceMissJob);
  },
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function main(): Promise<void> {
  // The validator's worker is unref'd (it must never keep a host alive), so hold the loop open ourselves.
  const keepAlive = setInterval(() => undefined, 1000);
  const state = await controller.configure({ file: validatorFile, trusted: true });
  if (state.status !== 'loaded') throw new Error(`the bench validator did not load: ${JSON.stringify(state)}`);
  const results: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  // Warm up every path once (trust store, JIT, the hit case's cache entry).
  for (const run of Object.values(cases)) await run();
  const callsBefore = validatorCalls;
  for (let round = 0; round < rounds; round++) {
    const times: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
    for (let i = 0; i < connections; i++) {
      for (const [name, run] of Object.entries(cases)) {
        const started = process.hrtime.bigint();
        await run();
        times[name].push(Number(process.hrtime.bigint() - started) / 1e6);
      }
    }
    for (const [name, list] of Object.entries(times)) results[name].push(median(list));
  }
  // The miss case must have called the validator on every connection, the hit case never.
  const expectedCalls = rounds * connections;
  controller.dispose();
  clearInterval(keepAlive);
  provider.dispose();
  await service.dispose();
  console.log(JSON.stringify({ cases: results, validatorCalls: validatorCalls - callsBefore, expectedCalls }));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
