// Hostile servers against resume and ranges: a remote that changed while the server ignores If-Range, validators
// too weak for If-Range or missing, a 206 body that runs past its Content-Range, a 200 whose Content-Range is not
// the whole file. Each ends as the whole right file or a clear error, never bytes of two versions or extra bytes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { Codes } from '../../../../src/core/errors';
import { JobState } from '../../../../src/core/model/job';
import { engineForTest, recordStates, startJob, waitForState } from '../../../support/engine';
import { etagOf, sha256, startServer, testBytes, type RecordedRequest, type TestServer } from '../../../support/servers';

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server.close());

const OLD_DATE = 'Wed, 21 Oct 2026 07:28:00 GMT';
const NEW_DATE = 'Thu, 22 Oct 2026 09:00:00 GMT';

function rangeOf(r: RecordedRequest): [number, number | undefined] | undefined {
  const m = /^bytes=(\d+)-(\d*)$/.exec(String(r.headers['range'] ?? ''));
  return m ? [Number(m[1]), m[2] ? Number(m[2]) : undefined] : undefined;
}

test('a changed Last-Modified on a 206 (server ignores If-Range, no ETag) restarts the file: the new version whole, never 40% old and 60% new', async (t) => {
  const { box, engine } = await engineForTest(t);
  const v1 = testBytes(100_000, 101);
  const v2 = testBytes(100_000, 102);
  server.route('/lm-changed', (n) =>
    n === 1
      ? { body: v1, etag: null, lastModified: OLD_DATE, resetAfter: 40_000 }
      : { body: v2, etag: null, lastModified: NEW_DATE, ignoreIfRange: true },
  );
  const job = await startJob(engine, box, [{ url: server.url('/lm-changed'), name: 'lm.bin' }]);
  await waitForState(engine, job.id, [JobState.TRANSFERRED, JobState.ERROR]);
  await engine.complete(job.id);
  const got = readFileSync(path.join(box.dest, 'lm.bin'));
  assert.equal(sha256(got), sha256(v2), 'the file is the new version, whole');
  const reqs = server.requestsFor('/lm-changed');
  assert.equal(reqs[1].headers['if-range'], OLD_DATE, 'the resume asked with If-Range: the stored (strong) Last-Modified');
  assert.equal(rangeOf(reqs[reqs.length - 1]), undefined, 'after the mismatched 206 the whole file was asked for');
});

test('a weak Last-Modified (not 1 s before the Date) vouches for no bytes: the file is asked for again from byte 0', async (t) => {
  const { box, engine } = await engineForTest(t);
  const v1 = testBytes(100_000, 103);
  const v2 = testBytes(100_000, 104);
  server.route('/lm-weak', (n) =>
    n === 1
      ? { body: v1, etag: null, lastModified: OLD_DATE, headers: { Date: OLD_DATE }, resetAfter: 30_000 }
      : { body: v2, etag: null, lastModified: NEW_DATE, headers: { Date: NEW_DATE } },
  );
  const job = await startJob(engine, box, [{ url: server.url('/lm-weak'), name: 'weak.bin' }]);
  await waitForState(engine, job.id, [JobState.TRANSFERRED, JobState.ERROR]);
  await engine.complete(job.id);
  assert.equal(sha256(readFileSync(path.join(box.dest, 'weak.bin'))), sha256(v2));
  const reqs = server.requestsFor('/lm-weak');
  // A same-second, same-size rewrite would keep the date: a Range would append its bytes to the old version's.
  assert.equal(rangeOf(reqs[1]), undefined, 'no resume on a weak date (RFC 9110 8.8.2.2): the whole file again');
  assert.equal(reqs[1].headers['if-range'], undefined);
});

test('a rewrite in the same second, same size and date, after a dropped answer is never appended to the old bytes', async (t) => {
  const { box, engine } = await engineForTest(t);
  const v1 = testBytes(100_000, 111);
  const v2 = testBytes(100_000, 112);
  // No ETag; the date is the Date's own second (weak): both versions carry it.
  const same = { etag: null, lastModified: OLD_DATE, headers: { Date: OLD_DATE } };
  server.route('/lm-same-second', (n) => (n === 1 ? { ...same, body: v1, resetAfter: 30_000 } : { ...same, body: v2 }));
  const job = await startJob(engine, box, [{ url: server.url('/lm-same-second'), name: 'same-second.bin' }]);
  await waitForState(engine, job.id, [JobState.TRANSFERRED, JobState.ERROR]);
  await engine.complete(job.id);
  assert.equal(sha256(readFileSync(path.join(box.dest, 'same-second.bin'))), sha256(v2), 'the new version whole, no old bytes');
});

test('with a weak ETag, If-Range carries neither it nor the Last-Modified (RFC 9110 13.1.5); a changed weak ETag restarts the file', async (t) => {
  const { box, engine } = await engineForTest(t);
  const v1 = testBytes(100_000, 105);
  const v2 = testBytes(100_000, 106);
  server.route('/weak-etag', (n) => (n === 1 ? { body: v1, etag: 'W/"one"', resetAfter: 30_000 } : { body: v2, etag: 'W/"two"' }));
  const job = await startJob(engine, box, [{ url: server.url('/weak-etag'), name: 'weak-etag.bin' }]);
  await waitForState(engine, job.id, [JobState.TRANSFERRED, JobState.ERROR]);
  await engine.complete(job.id);
  assert.equal(sha256(readFileSync(path.join(box.dest, 'weak-etag.bin'))), sha256(v2));
  const reqs = server.requestsFor('/weak-etag');
  assert.equal(reqs[1].headers['if-range'], undefined);
});

test('without an ETag or a Last-Modified a file is never resumed: it starts again from byte 0', async (t) => {
  const { box, engine } = await engineForTest(t);
  const v1 = testBytes(100_000, 107);
  const v2 = testBytes(100_000, 108);
  server.route('/no-validators', (n) =>
    n === 1 ? { body: v1, etag: null, lastModified: null, resetAfter: 40_000 } : { body: v2, etag: null, lastModified: null },
  );
  const job = await startJob(engine, box, [{ url: server.url('/no-validators'), name: 'nov.bin' }]);
  await waitForState(engine, job.id, [JobState.TRANSFERRED, JobState.ERROR]);
  await engine.complete(job.id);
  assert.equal(sha256(readFileSync(path.join(box.dest, 'nov.bin'))), sha256(v2));
  assert.deepEqual(server.requestsFor('/no-validators').map(rangeOf), [undefined, undefined], 'no Range was ever sent');
});

test('a chunked 206 whose body runs past its Content-Range: nothing past the range is written, the job says why, the file is exact', async (t) => {
  const { box, engine } = await engineForTest(t);
  const body = testBytes(100_000, 109);
  const garbage = testBytes(300_000, 110);
  server.route('/overrun', (n) => (n === 1 ? { body, resetAfter: 30_000 } : n === 2 ? { body, overrun: garbage } : { body }));
  const job = await startJob(engine, box, [{ url: server.url('/overrun'), name: 'overrun.bin' }]);
  const states = recordStates(engine, job.id);
  const errors: string[] = [];
  engine.onDidChangeJob((e) => {
    if (e.job.id === job.id && e.job.error) errors.push(`${e.job.error.code}:${e.job.error.description}`);
  });
  await waitForState(engine, job.id, [JobState.TRANSFERRED, JobState.ERROR]);
  await engine.complete(job.id);
  const got = readFileSync(path.join(box.dest, 'overrun.bin'));
  assert.equal(got.length, body.length, `the file has ${got.length} bytes, the entity ${body.length}`);
  assert.equal(sha256(got), sha256(body));
  assert.ok(states.includes(JobState.TRANSIENT_ERROR), 'the overrun was an error of the attempt, not a success');
  assert.ok(
    errors.some((e) => e.startsWith(`${Codes.BG_E_INVALID_SERVER_RESPONSE}:`) && /past|more than/.test(e)),
    `a clear error was recorded: ${errors.join(' | ')}`,
  );
});

test('a 200 whose Content-Range names a part (the part as its body) is not taken as the whole file', async (t) => {
  const { box, engine } = await engineForTest(t);
  const body = testBytes(100_000, 111);
  const part = body.subarray(30_000);
  server.route('/bad-200', (n) =>
    n === 1
      ? { body, resetAfter: 30_000 }
      : n === 2
        ? { body: part, etag: etagOf(body), ranges: false, headers: { 'Content-Range': 'bytes 30000-99999/100000' } }
        : { body, ranges: false },
  );
  const job = await startJob(engine, box, [{ url: server.url('/bad-200'), name: 'bad-200.bin' }]);
  await waitForState(engine, job.id, [JobState.TRANSFERRED, JobState.ERROR]);
  await engine.complete(job.id);
  assert.equal(sha256(readFileSync(path.join(box.dest, 'bad-200.bin'))), sha256(body));
  assert.ok(server.requestsFor('/bad-200').length >= 3, 'the contradicting 200 was not used');
});

const SEGMENTS = { segments: { enabled: true, minSize: 1 << 20, connections: 4 } };

test('segments: a piece whose chunked 206 runs past its range never writes past it; the file is exact', async (t) => {
  const { box, engine } = await engineForTest(t, SEGMENTS);
  const body = testBytes(2_500_000, 112);
  const garbage = Buffer.alloc(600_000, 0xee);
  let overran = 0;
  server.route('/seg-overrun', (_n, req) => {
    const r = /^bytes=(\d+)-(\d+)$/.exec(String(req.headers['range'] ?? ''));
    // The whole-file probe is paced, so other connections take pieces; every range answer overruns, once per piece.
    if (!r) return { body, bytesPerSecond: 1_000_000 };
    if (overran++ < 6) return { body, overrun: garbage };
    return { body };
  });
  const job = await startJob(engine, box, [{ url: server.url('/seg-overrun'), name: 'seg-overrun.bin' }]);
  await waitForState(engine, job.id, [JobState.TRANSFERRED, JobState.ERROR], 30_000);
  await engine.complete(job.id);
  const got = readFileSync(path.join(box.dest, 'seg-overrun.bin'));
  assert.equal(got.length, body.length);
  assert.equal(sha256(got), sha256(body));
  assert.ok(overran > 0, 'range requests were made');
});

test('segments: a 206 whose Last-Modified differs from the first answer (If-Range ignored) restarts the file', async (t) => {
  const { box, engine } = await engineForTest(t, SEGMENTS);
  const v1 = testBytes(2_500_000, 113);
  const v2 = testBytes(2_500_000, 114);
  let ranged = 0;
  server.route('/seg-lm', (_n, req) => {
    const ranges = /^bytes=\d+-\d+$/.test(String(req.headers['range'] ?? ''));
    if (!ranges)
      return ranged > 0
        ? { body: v2, etag: null, lastModified: NEW_DATE }
        : { body: v1, etag: null, lastModified: OLD_DATE, bytesPerSecond: 1_000_000 };
    ranged++;
    return { body: v2, etag: null, lastModified: NEW_DATE, ignoreIfRange: true };
  });
  const job = await startJob(engine, box, [{ url: server.url('/seg-lm'), name: 'seg-lm.bin' }]);
  await waitForState(engine, job.id, [JobState.TRANSFERRED, JobState.ERROR], 30_000);
  await engine.complete(job.id);
  assert.ok(ranged > 0, 'range requests were made');
  assert.equal(sha256(readFileSync(path.join(box.dest, 'seg-lm.bin'))), sha256(v2), 'the new version whole, no piece of the old one');
});

test('segments: a Last-Modified as weak as its Date (no ETag) does not split the file; a same-second rewrite cannot mix in', async (t) => {
  const { box, engine } = await engineForTest(t, SEGMENTS);
  const v1 = testBytes(2_500_000, 116);
  const v2 = testBytes(2_500_000, 117);
  // Modified in the second the answer is dated: the file may change again within it and keep its date (RFC 9110
  // 8.8.2.2). Here it does, at once: every range request gets the new bytes under the same size and date.
  const sameSecond = { etag: null, lastModified: OLD_DATE, headers: { Date: OLD_DATE } };
  server.route('/seg-weak-lm', (_n, req) =>
    req.headers['range'] === undefined ? { body: v1, ...sameSecond, bytesPerSecond: 2_500_000 } : { body: v2, ...sameSecond },
  );
  const job = await startJob(engine, box, [{ url: server.url('/seg-weak-lm'), name: 'seg-weak-lm.bin' }]);
  await waitForState(engine, job.id, [JobState.TRANSFERRED, JobState.ERROR], 30_000);
  await engine.complete(job.id);
  assert.equal(sha256(readFileSync(path.join(box.dest, 'seg-weak-lm.bin'))), sha256(v1), 'the version first answered, whole');
  assert.deepEqual(server.requestsFor('/seg-weak-lm').map(rangeOf), [undefined], 'one whole-file request, no piece');
});

test('segments: a server whose every range answer names the wrong range ends on one connection, not in a loop of new splits', async (t) => {
  const { box, engine } = await engineForTest(t, SEGMENTS);
  const body = testBytes(2_500_000, 115);
  server.route('/seg-wrong-range', (_n, req) => {
    const r = /^bytes=(\d+)-(\d+)$/.exec(String(req.headers['range'] ?? ''));
    if (!r) return { body, bytesPerSecond: 4_000_000 };
    return { body, contentRange: `bytes ${Number(r[1]) + 1}-${r[2]}/${body.length}` };
  });
  const job = await startJob(engine, box, [{ url: server.url('/seg-wrong-range'), name: 'seg-wrong.bin' }]);
  await waitForState(engine, job.id, [JobState.TRANSFERRED, JobState.ERROR], 30_000);
  await engine.complete(job.id);
  assert.equal(sha256(readFileSync(path.join(box.dest, 'seg-wrong.bin'))), sha256(body));
  const whole = server.requestsFor('/seg-wrong-range').filter((r) => rangeOf(r) === undefined);
  assert.ok(whole.length <= 3, `${whole.length} whole-file requests`);
});
