// The "hostile server" block: servers that answer a resume or a range with bytes of another version, or more
// bytes than they declare. Each run must end with the served entity whole at its final path (the new version
// after a change), never a mix of versions or a file longer than the entity.
import type { SegmentPolicy } from '../../src/core/transfer/segments';
import { startServer, testBytes, type Route, type TestServer } from '../support/servers';
import { runJobOnce, withEngine, type RunCheck } from './harness';
import type { Random } from './random';
import { emptyResult, type FaultResult } from './report';

interface HostileServerFault {
  name: string;
  plan(random: Random, i: number): { route: Route; expected: Buffer; check?: (requests: { range?: string }[]) => string | undefined };
  segments?: Partial<SegmentPolicy>;
}

const OLD_DATE = 'Wed, 21 Oct 2026 07:28:00 GMT';
const NEW_DATE = 'Thu, 22 Oct 2026 09:00:00 GMT';
const SEGMENTS: Partial<SegmentPolicy> = { enabled: true, minSize: 1 << 20, connections: 4 };

const sized = (random: Random, seed: number, min = 150_000, max = 1_200_000) => testBytes(random.int(min, max), seed);
const closedRange = (range: string | string[] | undefined) => /^bytes=(\d+)-(\d+)$/.exec(String(range ?? ''));

const faults: HostileServerFault[] = [
  {
    name: 'Last-Modified changed on a 206 (If-Range ignored, no ETag)',
    plan(random, i) {
      const v1 = sized(random, 11_000 + i);
      const v2 = testBytes(v1.length, 11_500 + i);
      const at = random.int(1, v1.length - 1);
      return {
        route: (n) =>
          n === 1
            ? { body: v1, etag: null, lastModified: OLD_DATE, resetAfter: at }
            : { body: v2, etag: null, lastModified: NEW_DATE, ignoreIfRange: true },
        expected: v2,
      };
    },
  },
  {
    name: 'weak validators only (same weak ETag, Last-Modified = Date), bytes changed',
    plan(random, i) {
      const v1 = sized(random, 12_000 + i);
      const v2 = testBytes(v1.length, 12_500 + i);
      const at = random.int(1, v1.length - 1);
      return {
        route: (n) =>
          n === 1
            ? { body: v1, etag: 'W/"v1"', lastModified: OLD_DATE, headers: { Date: OLD_DATE }, resetAfter: at }
            : // A weak ETag may stay the same for other bytes (semantically equivalent): it never vouches for a range.
              { body: v2, etag: 'W/"v1"', lastModified: NEW_DATE, headers: { Date: NEW_DATE }, ignoreIfRange: true },
        expected: v2,
        check: (requests) =>
          requests.slice(1).some((r) => r.range === undefined) ? undefined : 'the file was never asked for whole again',
      };
    },
  },
  {
    name: 'no ETag, no Last-Modified, remote changed (never resumed)',
    plan(random, i) {
      const v1 = sized(random, 13_000 + i);
      const v2 = testBytes(v1.length, 13_500 + i);
      const at = random.int(1, v1.length - 1);
      return {
        route: (n) =>
          n === 1 ? { body: v1, etag: null, lastModified: null, resetAfter: at } : { body: v2, etag: null, lastModified: null },
        expected: v2,
        check: (requests) => (requests.every((r) => r.range === undefined) ? undefined : 'a Range was sent for bytes nothing vouches for'),
      };
    },
  },
  {
    name: 'chunked 206 bodies running past their Content-Range',
    plan(random, i) {
      const body = sized(random, 14_000 + i);
      const at = random.int(1, body.length - 1);
      const garbage = testBytes(random.int(1, 3 * body.length), 14_500 + i);
      // Every answer after the first overruns: the file may end only with exactly the entity's bytes.
      return { route: (n) => (n === 1 ? { body, resetAfter: at } : { body, overrun: garbage }), expected: body };
    },
  },
  {
    name: '200 with a Content-Range naming a part (the part as body)',
    plan(random, i) {
      const body = sized(random, 15_000 + i);
      const at = random.int(1, body.length - 1);
      return {
        route: (n) =>
          n === 1
            ? { body, resetAfter: at }
            : n === 2
              ? { body: body.subarray(at), ranges: false, headers: { 'Content-Range': `bytes ${at}-${body.length - 1}/${body.length}` } }
              : { body, ranges: false },
        expected: body,
      };
    },
  },
  {
    name: 'segments: chunked 206 pieces running past their ranges',
    segments: SEGMENTS,
    plan(random, i) {
      const body = sized(random, 16_000 + i, 1_500_000, 3_000_000);
      const garbage = testBytes(random.int(1, 1_000_000), 16_500 + i);
      return {
        route: (_n, req) => (closedRange(req.headers['range']) ? { body, overrun: garbage } : { body, bytesPerSecond: 3_000_000 }),
        expected: body,
      };
    },
  },
  {
    name: 'segments: pieces of another version (If-Range ignored, Last-Modified differs)',
    segments: SEGMENTS,
    plan(random, i) {
      const v1 = sized(random, 17_000 + i, 1_500_000, 3_000_000);
      const v2 = testBytes(v1.length, 17_500 + i);
      let changed = false;
      return {
        route: (_n, req) => {
          if (!closedRange(req.headers['range']))
            return changed
              ? { body: v2, etag: null, lastModified: NEW_DATE }
              : { body: v1, etag: null, lastModified: OLD_DATE, bytesPerSecond: 3_000_000 };
          changed = true;
          return { body: v2, etag: null, lastModified: NEW_DATE, ignoreIfRange: true };
        },
        expected: v2,
      };
    },
  },
  {
    name: 'segments: every range answer names another range',
    segments: SEGMENTS,
    plan(random, i) {
      const body = sized(random, 18_000 + i, 1_500_000, 3_000_000);
      const shift = random.int(1, 1000);
      return {
        route: (_n, req) => {
          const r = closedRange(req.headers['range']);
          return r ? { body, contentRange: `bytes ${Number(r[1]) + shift}-${r[2]}/${body.length}` } : { body, bytesPerSecond: 3_000_000 };
        },
        expected: body,
      };
    },
  },
];

async function runFault(fault: HostileServerFault, runs: number, random: Random, server: TestServer): Promise<FaultResult> {
  const result = emptyResult(fault.name);
  for (let i = 0; i < runs; i++) {
    const routePath = `/hostile-${fault.name.replace(/\W+/g, '-')}-${i}`;
    const { route, expected, check } = fault.plan(random, i);
    server.route(routePath, route);
    const requestCheck: RunCheck = () => check?.(server.requestsFor(routePath).map((r) => ({ range: r.headers['range'] })));
    await withEngine({ ...(fault.segments ? { segments: fault.segments } : {}) }, (engine, box) =>
      runJobOnce(
        result,
        engine,
        box,
        [{ url: server.url(routePath), name: `h-${i}.bin`, expected }],
        'complete',
        { displayName: fault.name, minimumRetryDelay: 0 },
        requestCheck,
      ),
    );
  }
  return result;
}

export async function hostileServerScenarios(runs: number, random: Random): Promise<FaultResult[]> {
  const server = await startServer();
  try {
    const results: FaultResult[] = [];
    for (const fault of faults) results.push({ ...(await runFault(fault, runs, random, server)), block: 'hostile server' });
    return results;
  } finally {
    await server.close();
  }
}
