// Segmented downloads against a real server: several Range connections into one temp file, a reset mid-segment,
// a process killed with SIGKILL and resumed, a server that ignores ranges, a remote that changes between
// segments, and the switch that turns segments off.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { JobState, type JobRecord } from '../../../../src/core/model/job';
import { engineForTest, listNames, openEngine, sandboxFor, startJob, waitForState } from '../../../support/engine';
import { etagOf, sha256, startServer, testBytes, type RecordedRequest, type TestServer } from '../../../support/servers';
import { MIN_SPLIT_BYTES } from '../../../../src/core/transfer/segmented-transfer';
import { waitUntil } from '../../../support/wait';

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server.close());

const SEGMENTS = { enabled: true, minSize: 1 << 20, connections: 4 };
/**
 * Per response: slow enough that the ramp adds connections before the whole-file answer (whose body serves the
 * pieces from the start while no other connection took the next) has brought the whole file on its own.
 */
const PACED = 2_000_000;

function withEngine(t: { after: (fn: () => Promise<void>) => void }, segments: Partial<typeof SEGMENTS> = SEGMENTS) {
  return engineForTest(t, { segments });
}

/** [first, last] of a closed range request, or undefined. */
function rangeOf(r: RecordedRequest): [number, number] | undefined {
  const m = /^bytes=(\d+)-(\d+)$/.exec(String(r.headers['range'] ?? ''));
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

test('a large file comes over several Range connections into one temp file: byte-identical, sha256 checked, hidden until Complete', async (t) => {
  const { box, engine } = await withEngine(t);
  const body = testBytes(3_000_001, 31);
  server.route('/seg', { body, bytesPerSecond: PACED });
  const job = await startJob(engine, box, [{ url: server.url('/seg'), name: 'seg.bin', sha256: sha256(body) }]);
  const done = await waitForState(engine, job.id, JobState.TRANSFERRED);
  assert.deepEqual(
    listNames(box.dest).filter((n) => !n.startsWith('.')),
    [],
    'nothing under the final name before Complete',
  );
  assert.equal(done.files[0].segments, undefined, 'the split is forgotten once the file is whole');
  assert.equal(done.files[0].bytesTransferred, body.length);
  await engine.complete(job.id);
  assert.equal(sha256(readFileSync(path.join(box.dest, 'seg.bin'))), sha256(body));
  assert.deepEqual(listNames(box.dest), ['seg.bin']);

  const requests = server.requestsFor('/seg');
  assert.equal(requests.filter((r) => !r.headers['range']).length, 1, 'one whole-file request, whose body served the first pieces');
  const ranged = requests.filter((r) => rangeOf(r));
  // How many depends on the ramp: under load it may settle on one connection, which asks for the rest at once.
  assert.ok(ranged.length >= 1, 'other connections asked for pieces');
  const covered = ranged.map((r) => rangeOf(r)!).sort((a, b) => a[0] - b[0]);
  assert.ok(covered[0][0] > 0, 'no piece asked for again from the start: the first answer brought it');
  for (let i = 1; i < covered.length; i++) assert.equal(covered[i][0], covered[i - 1][1] + 1, 'segments are contiguous');
  assert.equal(covered.at(-1)![1], body.length - 1);
  assert.ok(
    ranged.every((r) => r.headers['if-range'] === etagOf(body)),
    'every segment carries If-Range',
  );
});

test('a connection with nothing left takes the second half of a slow piece; the slow one stops where it begins', async (t) => {
  const { box, engine } = await withEngine(t, { ...SEGMENTS, connections: 2 });
  const body = testBytes(8_000_000, 38);
  // The first range request (the second connection's first piece, 1.5 MB) is answered only after 1.5 s; the
  // whole-file answer brings everything else well before.
  server.route('/seg-split', (n) => ({ body, bytesPerSecond: 8_000_000, delayHeadersMs: n === 2 ? 1500 : undefined }));
  const job = await startJob(engine, box, [{ url: server.url('/seg-split'), name: 's.bin', sha256: sha256(body) }]);
  const done = await waitForState(engine, job.id, JobState.TRANSFERRED, 30_000);
  assert.equal(done.files[0].segments, undefined);
  await engine.complete(job.id);
  assert.equal(sha256(readFileSync(path.join(box.dest, 's.bin'))), sha256(body));
  const ranges = server
    .requestsFor('/seg-split')
    .map(rangeOf)
    .filter((r) => r !== undefined);
  const [slowFirst, slowLast] = ranges[0]!;
  const halves = ranges.filter((r) => r![0] > slowFirst && r![0] <= slowLast);
  t.diagnostic(`slow piece ${slowFirst}-${slowLast}; taken from it: ${halves.map((r) => r!.join('-')).join(', ')}`);
  assert.ok(halves.length >= 1, 'the idle connection asked for a part of the slow piece');
  for (const [first, last] of halves as [number, number][]) {
    assert.equal(last, slowLast, "up to the slow piece's end");
    assert.ok(last - first + 1 >= MIN_SPLIT_BYTES, `a half worth a request (${last - first + 1} bytes)`);
  }
});

test('a reset mid-segment reconnects that segment from where it stopped; the file is right', async (t) => {
  const { box, engine } = await withEngine(t);
  const body = testBytes(2_000_000, 32);
  let dropped: [number, number] | undefined;
  server.route('/seg-reset', (_n, req) => {
    const range = /^bytes=(\d+)-(\d+)$/.exec(String(req.headers['range'] ?? ''));
    // The second piece asked for drops after 100,000 bytes.
    if (range && Number(range[1]) > 0 && !dropped) {
      dropped = [Number(range[1]), Number(range[2])];
      return { body, resetAfter: 100_000, bytesPerSecond: PACED };
    }
    return { body, bytesPerSecond: PACED };
  });
  const job = await startJob(engine, box, [{ url: server.url('/seg-reset'), name: 'r.bin' }]);
  await waitForState(engine, job.id, JobState.TRANSFERRED, 20_000);
  await engine.complete(job.id);
  assert.equal(sha256(readFileSync(path.join(box.dest, 'r.bin'))), sha256(body));
  const [first, last] = dropped!;
  const again = server
    .requestsFor('/seg-reset')
    .map(rangeOf)
    .filter((r) => r && r[0] > first && r[0] <= last);
  assert.equal(again.length, 1, 'the dropped piece continued inside its range');
  assert.ok(again[0]![0] > first, `and not from its start (${first} -> ${again[0]![0]})`);
  assert.equal(again[0]![1], last, 'up to its end');
});

test('killed with SIGKILL mid-segments, the job resumes every segment from its durable position', async (t) => {
  const box = sandboxFor(t);
  const body = testBytes(4_000_000, 33);
  let slow = true;
  server.route('/seg-kill', () => (slow ? { body, bytesPerSecond: 400_000 } : { body }));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(__dirname, 'segmented-child.ts'), box.store, server.url('/seg-kill'), path.join(box.dest, 'k.bin')],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  // Wait until the store names durable bytes in at least two segments.
  const stored = await waitUntil(
    'the segmented transfer started',
    () => {
      const names = listNames(path.join(box.store, 'jobs')).filter((n) => n.endsWith('.json'));
      if (names.length !== 1) throw new Error(`no job file yet (${stderr})`);
      let record: JobRecord;
      try {
        record = JSON.parse(readFileSync(path.join(box.store, 'jobs', names[0]), 'utf8')).job as JobRecord;
      } catch {
        return undefined; // caught mid-rename: read again
      }
      const segs = record.files[0]?.segments;
      if (segs && segs.filter((s) => s.position > s.start).length >= 2) return record;
      throw new Error(`fewer than two segments hold durable bytes (${stderr})`);
    },
    { timeoutMs: 30_000, intervalMs: 50 },
  );
  child.kill('SIGKILL');
  await exited;
  slow = false;

  // What the store says after the kill is what counts; every byte it vouches for is right.
  const jobFile = path.join(box.store, 'jobs', `${stored.id}.json`);
  const afterKill = JSON.parse(readFileSync(jobFile, 'utf8')).job as JobRecord;
  const segments = afterKill.files[0].segments!;
  const temp = readFileSync(afterKill.files[0].tempPath);
  assert.equal(temp.length, body.length, 'the temp file has the full length (with holes)');
  for (const s of segments)
    assert.ok(temp.subarray(s.start, s.position).equals(body.subarray(s.start, s.position)), `segment ${s.start}: durable bytes are right`);
  assert.ok(!listNames(box.dest).includes('k.bin'), 'nothing under the final name');

  const before = server.requestsFor('/seg-kill').length;
  const engine = await openEngine(box, { segments: SEGMENTS });
  t.after(() => engine.dispose());
  await waitForState(engine, afterKill.id, JobState.TRANSFERRED, 20_000);
  await engine.complete(afterKill.id);
  assert.equal(sha256(readFileSync(path.join(box.dest, 'k.bin'))), sha256(body));
  // Exactly the bytes the store did not vouch for were asked for, each once: every unfinished segment from its
  // durable position (consecutive untouched ones may share a request), nothing of a finished one.
  const resumed = server.requestsFor('/seg-kill').slice(before).map(rangeOf);
  assert.ok(
    resumed.every((r) => r !== undefined),
    'every request names a closed range',
  );
  const asked = resumed.map((r) => [r![0], r![1] + 1]).sort((a, b) => a[0] - b[0]);
  const missing = segments.filter((s) => s.position < s.end).map((s) => [s.position, s.end]);
  const merge = (ranges: number[][]) => {
    const out: number[][] = [];
    for (const [a, b] of ranges) {
      if (out.length > 0 && out[out.length - 1][1] === a) out[out.length - 1][1] = b;
      else out.push([a, b]);
    }
    return out;
  };
  for (let i = 1; i < asked.length; i++) assert.ok(asked[i][0] >= asked[i - 1][1], 'no byte asked for twice');
  assert.deepEqual(merge(asked), merge(missing), 'the requests cover exactly the bytes missing after the kill');
});

test('a server that advertises ranges but answers them with 200: the file comes over one connection, right bytes', async (t) => {
  const { box, engine } = await withEngine(t);
  const body = testBytes(2_000_000, 34);
  server.route('/seg-liar', { body, ranges: false, headers: { 'Accept-Ranges': 'bytes' } });
  const job = await startJob(engine, box, [{ url: server.url('/seg-liar'), name: 'l.bin' }]);
  await waitForState(engine, job.id, JobState.TRANSFERRED);
  await engine.complete(job.id);
  assert.equal(sha256(readFileSync(path.join(box.dest, 'l.bin'))), sha256(body));
  const last = server.requestsFor('/seg-liar').at(-1)!;
  assert.equal(last.headers['range'], undefined, 'the last request asks for the whole file');
});

test('a server without Accept-Ranges, a small file, or segments turned off: one connection, no Range', async (t) => {
  const { box, engine } = await withEngine(t);
  const body = testBytes(2_000_000, 35);
  server.route('/seg-none', { body, ranges: false });
  server.route('/seg-small', { body: body.subarray(0, 900_000) });
  server.route('/seg-off', { body });
  const a = await startJob(engine, box, [
    { url: server.url('/seg-none'), name: 'n.bin' },
    { url: server.url('/seg-small'), name: 's.bin' },
  ]);
  await waitForState(engine, a.id, JobState.TRANSFERRED);
  engine.setSegmentPolicy({ enabled: false });
  const b = await startJob(engine, box, [{ url: server.url('/seg-off'), name: 'o.bin' }]);
  await waitForState(engine, b.id, JobState.TRANSFERRED);
  for (const p of ['/seg-none', '/seg-small', '/seg-off']) {
    assert.deepEqual(
      server.requestsFor(p).map((r) => r.headers['range']),
      [undefined],
      `${p}: one whole-file request`,
    );
  }
  assert.throws(() => engine.setSegmentPolicy({ connections: 0 }), /whole number from 1 to 64/);
});

// The change comes before any range answer, with a new size; or after one, with the same size (only the ETag tells).
for (const { unchanged, newSize } of [
  { unchanged: 0, newSize: 2_100_000 },
  { unchanged: 1, newSize: 2_000_000 },
]) {
  test(`a remote that changes after ${unchanged} range answer(s) of the old version (If-Range no longer matches) restarts the file and delivers the new entity whole`, async (t) => {
    const { box, engine } = await withEngine(t);
    const v1 = testBytes(2_000_000, 36);
    const v2 = testBytes(newSize, 37);
    const route = `/seg-change-${unchanged}`;
    // The whole-file answer (v1) drops after its first piece, so range requests must follow whatever the ramp
    // does: the dropped body's reconnect and the pieces no connection took, two at least. The first `unchanged`
    // of them still see v1; from then on the server has v2, and every request after is answered with it.
    let ranged = 0;
    server.route(route, (n, req) => {
      if (n === 1) return { body: v1, resetAfter: 300_000, bytesPerSecond: PACED };
      if (req.headers['range'] && ++ranged <= unchanged) return { body: v1, bytesPerSecond: PACED };
      return { body: v2, bytesPerSecond: PACED };
    });
    const job = await startJob(engine, box, [{ url: server.url(route), name: 'c.bin' }]);
    const done = await waitForState(engine, job.id, JobState.TRANSFERRED, 20_000);
    await engine.complete(job.id);
    assert.equal(sha256(readFileSync(path.join(box.dest, 'c.bin'))), sha256(v2), 'the new version whole, no piece of the old one');
    assert.equal(done.files[0].etag, etagOf(v2));
    assert.equal(done.files[0].bytesTotal, v2.length);

    const requests = server.requestsFor(route);
    const ranges = requests.filter((r) => r.headers['range'] !== undefined);
    const firstOfV2 = ranges[unchanged];
    assert.ok(firstOfV2 !== undefined, `a range request reached the changed remote (${ranges.length} range requests)`);
    assert.equal(firstOfV2.headers['if-range'], etagOf(v1), 'it asked with If-Range: the version of the bytes so far');
    assert.ok(
      requests.slice(requests.indexOf(firstOfV2) + 1).some((r) => r.headers['range'] === undefined),
      'then the whole file was asked for again',
    );
  });
}

test('a stored split that does not add up (hostile or damaged store) is dropped: the file starts again and arrives whole', async (t) => {
  const box = sandboxFor(t);
  const body = testBytes(2_000_000, 38);
  server.route('/seg-damaged', { body, bytesPerSecond: 1_000_000 });
  let engine = await openEngine(box, { segments: SEGMENTS });
  const job = await startJob(engine, box, [{ url: server.url('/seg-damaged'), name: 'd.bin' }]);
  await waitUntil('the file split into segments', () => (engine.getJob(job.id)!.files[0].segments?.length ?? 0) >= 2);
  await engine.suspend(job.id);
  await engine.dispose();
  const jobFile = path.join(box.store, 'jobs', `${job.id}.json`);
  const stored = JSON.parse(readFileSync(jobFile, 'utf8'));
  assert.ok(Array.isArray(stored.job.files[0].segments), 'the split was stored');
  for (const damage of [[{ start: 0, end: 10, position: 99 }], 'segments', 42]) {
    stored.job.files[0].segments = damage;
    writeFileSync(jobFile, JSON.stringify(stored));
    server.route('/seg-damaged', { body });
    engine = await openEngine(box, { segments: SEGMENTS });
    const before = server.requestsFor('/seg-damaged').length;
    await engine.resume(job.id);
    await waitForState(engine, job.id, JobState.TRANSFERRED);
    assert.equal(
      server.requestsFor('/seg-damaged')[before].headers['range'],
      undefined,
      `${JSON.stringify(damage)}: asked for the whole file again`,
    );
    assert.equal(sha256(readFileSync(stored.job.files[0].tempPath)), sha256(body), `${JSON.stringify(damage)}: right bytes`);
    await engine.dispose();
    // Back to a suspended, unfinished job with the next damage.
    stored.job.state = JobState.SUSPENDED;
    stored.job.files[0].transferred = false;
    writeFileSync(stored.job.files[0].tempPath, '');
  }
});
