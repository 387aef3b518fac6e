// Transfers against a real misbehaving server: resume after resets, servers that ignore ranges, a remote that
// changes mid-file, wrong Content-Range, truncated bodies, unknown sizes, many files, HTTPS, and hashes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { Codes, ErrorContext } from '../../../../src/core/errors';
import { JobState } from '../../../../src/core/model/job';
import { DefaultConnections } from '../../../../src/core/transfer/default-connections';
import { engineForTest, listNames, startJob, waitForState, type Sandbox } from '../../../support/engine';
import { etagOf, sha256, startServer, startTlsServer, testBytes, type TestServer } from '../../../support/servers';

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server.close());

const withEngine = engineForTest;

function fileIn(box: Sandbox, name: string): Buffer {
  return readFileSync(path.join(box.dest, name));
}

test('resume after connection resets at several offsets gives a byte-identical file', async (t) => {
  const { box, engine } = await withEngine(t);
  const body = testBytes(1_000_000, 11);
  const resets = [1, 150_000, 500_001, 999_000];
  // Each request drops the connection a few bytes past the next reset offset, counted from where it started.
  server.route('/resets', (n, req) => {
    const from = Number(/bytes=(\d+)-/.exec(String(req.headers['range'] ?? ''))?.[1] ?? 0);
    const target = resets[n - 1];
    return target === undefined ? { body } : { body, resetAfter: Math.max(1, target - from) };
  });
  const job = await startJob(engine, box, [{ url: server.url('/resets'), name: 'resets.bin' }]);
  const done = await waitForState(engine, job.id, JobState.TRANSFERRED, 30_000);
  await engine.complete(job.id);
  assert.equal(sha256(fileIn(box, 'resets.bin')), sha256(body));
  const ranges = server.requestsFor('/resets').map((r) => r.headers['range']);
  assert.equal(ranges.length, resets.length + 1);
  assert.equal(ranges[0], undefined);
  for (const r of ranges.slice(1)) assert.match(String(r), /^bytes=[1-9]\d*-$/, 'every retry continues with a range');
  const ifRange = server
    .requestsFor('/resets')
    .slice(1)
    .map((r) => r.headers['if-range']);
  assert.ok(
    ifRange.every((v) => v === etagOf(body)),
    'every range request carries If-Range with the ETag',
  );
  assert.equal(done.files[0].bytesTotal, body.length);
});

test('a server that answers 200 to a range request restarts the file from zero, never mixing bytes', async (t) => {
  const { box, engine } = await withEngine(t);
  const body = testBytes(600_000, 12);
  server.route('/norange', (n) => ({ body, ranges: false, resetAfter: n === 1 ? 200_000 : undefined }));
  const job = await startJob(engine, box, [{ url: server.url('/norange'), name: 'norange.bin' }]);
  await waitForState(engine, job.id, JobState.TRANSFERRED);
  await engine.complete(job.id);
  assert.equal(sha256(fileIn(box, 'norange.bin')), sha256(body));
  const reqs = server.requestsFor('/norange');
  assert.equal(reqs.length, 2);
  assert.match(String(reqs[1].headers['range']), /^bytes=/, 'the engine asked for a range');
});

test('an ETag change mid-file (If-Range mismatch) restarts the file and delivers the new entity whole', async (t) => {
  const { box, engine } = await withEngine(t);
  const v1 = testBytes(500_000, 13);
  const v2 = testBytes(520_000, 14);
  server.route('/changes', (n) => (n === 1 ? { body: v1, resetAfter: 250_000 } : { body: v2 }));
  const job = await startJob(engine, box, [{ url: server.url('/changes'), name: 'changes.bin' }]);
  const done = await waitForState(engine, job.id, JobState.TRANSFERRED);
  await engine.complete(job.id);
  assert.equal(sha256(fileIn(box, 'changes.bin')), sha256(v2));
  assert.equal(done.files[0].etag, etagOf(v2));
  assert.equal(server.requestsFor('/changes')[1].headers['if-range'], etagOf(v1));
});

test('a 206 with a wrong Content-Range is not trusted: the file is fetched again from zero', async (t) => {
  const { box, engine } = await withEngine(t);
  const body = testBytes(400_000, 15);
  server.route('/badrange', (n) => {
    if (n === 1) return { body, resetAfter: 100_000 };
    if (n === 2) return { body, contentRange: `bytes 0-${body.length - 1}/${body.length}` };
    return { body };
  });
  const job = await startJob(engine, box, [{ url: server.url('/badrange'), name: 'badrange.bin' }]);
  await waitForState(engine, job.id, JobState.TRANSFERRED);
  await engine.complete(job.id);
  assert.equal(sha256(fileIn(box, 'badrange.bin')), sha256(body));
  const reqs = server.requestsFor('/badrange');
  assert.equal(reqs.length, 3);
  assert.equal(reqs[2].headers['range'], undefined, 'the third request asks for the whole file');
});

test('a body shorter than its Content-Length is a transient error; the bytes received are kept and continued', async (t) => {
  const { box, engine } = await withEngine(t);
  const body = testBytes(300_000, 16);
  server.route('/truncated', (n) => (n === 1 ? { body, truncateAfter: 120_000 } : { body }));
  const job = await startJob(engine, box, [{ url: server.url('/truncated'), name: 'truncated.bin' }]);
  const transient = await waitForState(engine, job.id, JobState.TRANSIENT_ERROR);
  assert.equal(transient.error?.code, Codes.BG_E_CONNECTION_CLOSED);
  assert.equal(transient.error?.context, ErrorContext.GENERAL_TRANSPORT);
  await waitForState(engine, job.id, JobState.TRANSFERRED);
  await engine.complete(job.id);
  assert.equal(sha256(fileIn(box, 'truncated.bin')), sha256(body));
  const from = Number(/\d+/.exec(String(server.requestsFor('/truncated')[1].headers['range']))![0]);
  assert.ok(from > 0, `continued from byte ${from}`);
});

test('a response without Content-Length (size unknown) is read to its end; progress reports the size as unknown until then', async (t) => {
  const { box, engine } = await withEngine(t);
  const body = testBytes(700_000, 17);
  server.route('/unknown', { body, contentLength: false, bytesPerSecond: 2_000_000 });
  const totals: (number | null)[] = [];
  const job = await startJob(engine, box, [{ url: server.url('/unknown'), name: 'unknown.bin' }]);
  engine.onDidChangeJob((e) => {
    if (e.kind === 'progress' && e.job.id === job.id && !e.job.files[0].transferred) totals.push(e.job.files[0].bytesTotal);
  });
  const done = await waitForState(engine, job.id, JobState.TRANSFERRED);
  assert.ok(totals.length > 0 && totals.every((x) => x === null), 'the size stays unknown while transferring');
  assert.equal(done.files[0].bytesTotal, body.length);
  await engine.complete(job.id);
  assert.equal(sha256(fileIn(box, 'unknown.bin')), sha256(body));
});

test('many files in one job transfer one at a time, in order, and appear only on Complete', async (t) => {
  const { box, engine } = await withEngine(t);
  const bodies = Array.from({ length: 12 }, (_, i) => testBytes(5_000 + i * 3_000, 100 + i));
  bodies.forEach((body, i) => server.route(`/many/${i}`, { body }));
  const files = bodies.map((_, i) => ({ url: server.url(`/many/${i}`), name: `f${i}.bin` }));
  const job = await startJob(engine, box, files);
  let overlapping = false;
  engine.onDidChangeJob((e) => {
    if (e.job.id !== job.id) return;
    // Files one at a time, as job-runner.ts promises: the next file's request may go out while the current
    // file's last write and checks finish (one file ahead, no more), but no later file is transferred before an
    // earlier one. (Asserting "no bytes at all for the next file" raced that look-ahead: it failed once in CI.)
    const firstOpen = e.job.files.findIndex((f) => !f.transferred);
    if (firstOpen < 0) return;
    const later = e.job.files.slice(firstOpen + 1);
    if (later.some((f) => f.transferred) || later.slice(1).some((f) => f.bytesTransferred > 0)) overlapping = true;
  });
  await waitForState(engine, job.id, JobState.TRANSFERRED);
  assert.equal(overlapping, false);
  const names = listNames(box.dest);
  assert.equal(names.length, bodies.length);
  assert.ok(
    names.every((n) => n.startsWith('.') && n.endsWith('.mddownload')),
    'before Complete only hidden temp files exist',
  );
  assert.equal(engine.getProgress(job.id).filesTransferred, bodies.length);
  await engine.complete(job.id);
  bodies.forEach((body, i) => assert.equal(sha256(fileIn(box, `f${i}.bin`)), sha256(body)));
  assert.deepEqual(listNames(box.dest), files.map((f) => f.name).sort());
  const order = server.requests.filter((r) => r.path.startsWith('/many/')).map((r) => Number(r.path.split('/')[2]));
  assert.deepEqual(
    order,
    bodies.map((_, i) => i),
  );
});

test('a file whose sha256 does not match is an ERROR naming both digests, and its bytes are discarded', async (t) => {
  const { box, engine } = await withEngine(t);
  const body = testBytes(50_000, 18);
  server.route('/hash', { body });
  const wrong = sha256(Buffer.from('something else'));
  const job = await startJob(engine, box, [{ url: server.url('/hash'), name: 'hash.bin', sha256: wrong }]);
  const failed = await waitForState(engine, job.id, JobState.ERROR);
  assert.equal(failed.error?.code, Codes.MD_E_HASH_MISMATCH);
  assert.equal(failed.error?.context, ErrorContext.REMOTE_FILE);
  assert.ok(failed.error!.description.includes(sha256(body)), 'names the actual digest');
  assert.ok(failed.error!.description.includes(wrong), 'names the expected digest');
  assert.deepEqual(listNames(box.dest), [], 'the bad bytes are gone');
  assert.equal(failed.files[0].bytesTransferred, 0);
  assert.equal(failed.files[0].transferred, false);
});

test('the sha256 of a resumed file covers the bytes from before the break too', async (t) => {
  const { box, engine } = await withEngine(t);
  const body = testBytes(400_000, 19);
  server.route('/hash-resume', (n) => (n === 1 ? { body, resetAfter: 170_000 } : { body }));
  const job = await startJob(engine, box, [{ url: server.url('/hash-resume'), name: 'hr.bin', sha256: sha256(body) }]);
  await waitForState(engine, job.id, JobState.TRANSFERRED);
  assert.equal(server.requestsFor('/hash-resume').length, 2);
  await engine.complete(job.id);
  assert.equal(sha256(fileIn(box, 'hr.bin')), sha256(body));
});

test('HTTPS with a private CA (certificates made now with node-forge), resumed after a reset', async (t) => {
  const { server: tlsServer, ca } = await startTlsServer({ hosts: ['127.0.0.1', 'localhost'] });
  const connections = new DefaultConnections({ ca: ca.cert });
  const { box, engine } = await withEngine(t, { connections });
  t.after(async () => {
    connections.dispose();
    await tlsServer.close();
  });
  const body = testBytes(800_000, 20);
  tlsServer.route('/tls', (n) => (n === 1 ? { body, resetAfter: 300_000 } : { body }));
  const job = await startJob(engine, box, [{ url: tlsServer.url('/tls'), name: 'tls.bin' }]);
  await waitForState(engine, job.id, JobState.TRANSFERRED);
  await engine.complete(job.id);
  assert.equal(sha256(fileIn(box, 'tls.bin')), sha256(body));
  assert.match(String(tlsServer.requestsFor('/tls')[1].headers['range']), /^bytes=\d+-$/);

  // The same server is refused when its CA is not trusted: a certificate error, final, in the transport context.
  const { box: box2, engine: untrusting } = await withEngine(t);
  const refused = await startJob(untrusting, box2, [{ url: tlsServer.url('/tls'), name: 'tls.bin' }]);
  const failed = await waitForState(untrusting, refused.id, JobState.ERROR);
  assert.equal(failed.error?.code, Codes.ERROR_WINHTTP_SECURE_INVALID_CA);
  assert.equal(failed.error?.context, ErrorContext.GENERAL_TRANSPORT);
});

test('an empty file is a file too: transferred and completed with zero bytes', async (t) => {
  const { box, engine } = await withEngine(t);
  server.route('/empty', { body: Buffer.alloc(0) });
  const job = await startJob(engine, box, [{ url: server.url('/empty'), name: 'empty.bin' }]);
  const done = await waitForState(engine, job.id, JobState.TRANSFERRED);
  assert.equal(done.files[0].bytesTotal, 0);
  await engine.complete(job.id);
  assert.equal(fileIn(box, 'empty.bin').length, 0);
});

test('credentials in a URL are refused (the store would keep them) with a message that does not repeat them', async (t) => {
  const { box, engine } = await withEngine(t);
  const url = server.url('/private').replace('http://', 'http://alice:hunter2@');
  await assert.rejects(
    startJob(engine, box, [{ url, name: 'private.bin' }]),
    (err: Error) => /user name or password/.test(err.message) && !err.message.includes('hunter2'),
  );
  assert.equal(server.requestsFor('/private').length, 0);
});
