// Servers that misbehave: resets at random offsets (also inside the segments of a file fetched over several range
// connections), stalls, a slow drip, 5xx bursts, 200 instead of 206, a wrong
// Content-Range, a truncated body under a right Content-Length, an ETag change mid-file, redirect loops, https to
// http redirects, and a certificate change mid-job. Each run checks the bytes at the final paths.
import { Codes } from '../../src/core/errors';
import { SecurityFlags } from '../../src/core/model/job';
import { DefaultConnections } from '../../src/core/transfer/default-connections';
import type { SegmentPolicy } from '../../src/core/transfer/segments';
import { makeCA, makeLeaf } from '../support/certs';
import { startServer, testBytes, type Behaviour, type Route, type TestServer } from '../support/servers';
import { runJobOnce, withEngine, type Expectation, type RunCheck } from './harness';
import type { Random } from './random';
import { emptyResult, type FaultResult } from './report';
import { certificateChangeScenario } from './tls-faults';

interface ServerFault {
  name: string;
  expect: Expectation;
  /** The route for run `i`, and the entity that must arrive (or none, for an expected error). */
  plan(random: Random, i: number): { route: Route; expected: Buffer; check?: RunCheck };
  stallTimeoutMs?: number;
  securityFlags?: number;
  /** Segmented downloads for this fault (files are otherwise below the engine's threshold). */
  segments?: Partial<SegmentPolicy>;
}

const SIZE_MIN = 200_000;
const SIZE_MAX = 1_500_000;

function entity(random: Random, i: number): Buffer {
  return testBytes(random.int(SIZE_MIN, SIZE_MAX), 7000 + i);
}

const faults: ServerFault[] = [
  {
    name: 'connection reset at a random offset (1-3 times)',
    expect: 'complete',
    plan(random, i) {
      const body = entity(random, i);
      const resets = random.int(1, 3);
      const offsets = Array.from({ length: resets }, () => random.int(1, body.length - 1));
      return { route: (n) => (n <= resets ? { body, resetAfter: offsets[n - 1] } : { body }), expected: body };
    },
  },
  {
    name: 'connection resets inside segments (range connections)',
    expect: 'complete',
    segments: { enabled: true, minSize: 1 << 20, connections: 4 },
    plan(random, i) {
      const body = testBytes(random.int(1_200_000, 3_000_000), 7300 + i);
      const resets = random.int(1, 3);
      const offsets = Array.from({ length: resets }, () => random.int(1, 200_000));
      // Request 1 is the whole-file probe. The others are paced, so that more connections help and the ramp opens
      // several; the ones that reset are not, so the reset comes while the sink may still be writing.
      return {
        route: (n) => (n > 1 && n <= resets + 1 ? { body, resetAfter: offsets[n - 2] } : { body, bytesPerSecond: 4_000_000 }),
        expected: body,
      };
    },
  },
  {
    name: 'stall mid-file (silent connection)',
    expect: 'complete',
    stallTimeoutMs: 400,
    plan(random, i) {
      const body = entity(random, i);
      const at = random.int(0, body.length - 1);
      return { route: (n) => (n === 1 ? { body, stallAfter: at } : { body }), expected: body };
    },
  },
  {
    name: 'slow drip (~150 KB/s)',
    expect: 'complete',
    plan(random, i) {
      const body = testBytes(random.int(50_000, 200_000), 7100 + i);
      return { route: { body, bytesPerSecond: 150_000 }, expected: body };
    },
  },
  {
    name: '5xx burst (500/502/503/504, with and without Retry-After)',
    expect: 'complete',
    plan(random, i) {
      const body = entity(random, i);
      const burst = random.int(2, 5);
      const statuses = [500, 502, 503, 504];
      return {
        route: (n): Behaviour =>
          n <= burst ? { status: statuses[n % statuses.length], headers: n % 2 ? { 'Retry-After': '0' } : {} } : { body },
        expected: body,
      };
    },
  },
  {
    name: '200 with the whole body instead of 206',
    expect: 'complete',
    plan(random, i) {
      const body = entity(random, i);
      const at = random.int(1, body.length - 1);
      return { route: (n) => (n === 1 ? { body, resetAfter: at } : { body, ranges: false }), expected: body };
    },
  },
  {
    name: 'wrong Content-Range on the resumed request',
    expect: 'complete',
    plan(random, i) {
      const body = entity(random, i);
      const at = random.int(1000, body.length - 1000);
      const wrong = `bytes ${at - random.int(1, 999)}-${body.length - 1}/${body.length}`;
      return { route: (n) => (n === 1 ? { body, resetAfter: at } : n === 2 ? { body, contentRange: wrong } : { body }), expected: body };
    },
  },
  {
    name: 'truncated body under a right Content-Length',
    expect: 'complete',
    plan(random, i) {
      const body = entity(random, i);
      const cuts = [random.int(0, body.length - 1), random.int(0, body.length - 1)];
      return { route: (n) => (n <= 2 ? { body, truncateAfter: cuts[n - 1] } : { body }), expected: body };
    },
  },
  {
    name: 'ETag change mid-file (the file restarts)',
    expect: 'complete',
    plan(random, i) {
      const before = entity(random, i);
      const after = testBytes(random.int(SIZE_MIN, SIZE_MAX), 9000 + i);
      const at = random.int(1, before.length - 1);
      return { route: (n) => (n === 1 ? { body: before, resetAfter: at } : { body: after }), expected: after };
    },
  },
  {
    name: 'redirect loop',
    expect: 'error',
    plan(random, i) {
      const hops = random.int(1, 4);
      return {
        route: (n) => ({ redirect: `/loop-${i}?hop=${n % (hops + 1)}` }),
        expected: Buffer.alloc(0),
        check: (job) =>
          job.error?.code === Codes.MD_E_TOO_MANY_REDIRECTS ? undefined : `expected MD_E_TOO_MANY_REDIRECTS, got ${job.error?.code}`,
      };
    },
  },
];

async function runServerFault(fault: ServerFault, runs: number, random: Random, server: TestServer): Promise<FaultResult> {
  const result = emptyResult(fault.name);
  for (let i = 0; i < runs; i++) {
    const key = `${fault.name.replace(/\W+/g, '-')}-${i}`;
    const { route, expected, check } = fault.plan(random, i);
    // The loop's route redirects to itself under a query, which the server ignores when it picks the route.
    const routePath = fault.name === 'redirect loop' ? `/loop-${i}` : `/${key}`;
    server.route(routePath, route);
    await withEngine(
      { stallTimeoutMs: fault.stallTimeoutMs ?? 2000, ...(fault.segments ? { segments: fault.segments } : {}) },
      (engine, box) =>
        runJobOnce(
          result,
          engine,
          box,
          [{ url: server.url(routePath), name: `${key}.bin`, expected }],
          fault.expect,
          { displayName: fault.name, minimumRetryDelay: 0, securityFlags: fault.securityFlags },
          check,
        ),
    );
  }
  return result;
}

async function httpsToHttp(runs: number, server: TestServer): Promise<FaultResult> {
  const result = emptyResult('redirect https -> http (refused; allowed with flag 0x800)');
  const ca = makeCA();
  const leaf = makeLeaf(ca, { hosts: ['127.0.0.1'] });
  const tls = await startServer({ tls: { cert: leaf.cert, key: leaf.key } });
  const connections = new DefaultConnections({ ca: ca.cert });
  try {
    for (let i = 0; i < runs; i++) {
      const body = testBytes(100_000 + i, 8100 + i);
      server.route(`/plain-${i}`, { body });
      tls.route(`/down-${i}`, { redirect: server.url(`/plain-${i}`) });
      const requestsBefore = server.requestsFor(`/plain-${i}`).length;
      await withEngine({ connections }, (engine, box) =>
        runJobOnce(
          result,
          engine,
          box,
          [{ url: tls.url(`/down-${i}`), name: `refused-${i}.bin`, expected: body }],
          'error',
          { displayName: 'https->http', minimumRetryDelay: 0 },
          (job) => {
            if (job.error?.code !== Codes.MD_E_REDIRECT_HTTPS_TO_HTTP)
              return `expected MD_E_REDIRECT_HTTPS_TO_HTTP, got ${job.error?.code}`;
            return server.requestsFor(`/plain-${i}`).length === requestsBefore
              ? undefined
              : 'the http URL was requested although the redirect was refused';
          },
        ),
      );
      await withEngine({ connections }, (engine, box) =>
        runJobOnce(result, engine, box, [{ url: tls.url(`/down-${i}`), name: `allowed-${i}.bin`, expected: body }], 'complete', {
          displayName: 'https->http allowed',
          minimumRetryDelay: 0,
          securityFlags: SecurityFlags.ALLOW_HTTPS_TO_HTTP_REDIRECT,
        }),
      );
    }
  } finally {
    connections.dispose();
    await tls.close();
  }
  return result;
}

export async function serverScenarios(runs: number, random: Random): Promise<FaultResult[]> {
  const server = await startServer();
  try {
    const results: FaultResult[] = [];
    for (const fault of faults) results.push(await runServerFault(fault, runs, random, server));
    results.push(await httpsToHttp(Math.max(1, Math.floor(runs / 2)), server));
    results.push(await certificateChangeScenario(Math.max(1, Math.floor(runs / 2)), random));
    return results;
  } finally {
    await server.close();
  }
}
