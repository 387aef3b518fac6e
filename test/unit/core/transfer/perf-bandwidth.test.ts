// The bandwidth limit against a real server: bytes over a time window, measured loosely (a lower bound on the
// time only, never a tight one): the limit holds across jobs, and lifting it lets a transfer go at full speed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { JobState } from '../../../../src/core/model/job';
import { BandwidthLimiter } from '../../../../src/core/transfer/bandwidth';
import { engineForTest, startJob, waitForState } from '../../../support/engine';
import { sha256, startServer, testBytes, type TestServer } from '../../../support/servers';
import { letTimePass } from '../../../support/wait';

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server.close());

const MiB = 1024 * 1024;

test('a 2 MiB download at a 1 MiB/s limit takes at least 1.5 s and arrives whole', async (t) => {
  const { box, engine } = await engineForTest(t, { bandwidthLimit: MiB });
  const body = testBytes(2 * MiB, 51);
  server.route('/limited', { body });
  const started = Date.now();
  const job = await startJob(engine, box, [{ url: server.url('/limited'), name: 'l.bin' }]);
  await waitForState(engine, job.id, JobState.TRANSFERRED, 20_000);
  const seconds = (Date.now() - started) / 1000;
  assert.ok(seconds >= 1.5, `took ${seconds.toFixed(2)} s; at 1 MiB/s it cannot take less than ~1.9 s`);
  await engine.complete(job.id);
  assert.equal(sha256(readFileSync(path.join(box.dest, 'l.bin'))), sha256(body));
});

test('the limit is shared by all jobs: two 1 MiB jobs at 1 MiB/s take at least 1.5 s together', async (t) => {
  const { box, engine } = await engineForTest(t, { bandwidthLimit: MiB, segments: { enabled: false } });
  server.route('/a', { body: testBytes(MiB, 52) });
  server.route('/b', { body: testBytes(MiB, 53) });
  const started = Date.now();
  const a = await startJob(engine, box, [{ url: server.url('/a'), name: 'a.bin' }]);
  const b = await startJob(engine, box, [{ url: server.url('/b'), name: 'b.bin' }]);
  await Promise.all([waitForState(engine, a.id, JobState.TRANSFERRED, 20_000), waitForState(engine, b.id, JobState.TRANSFERRED, 20_000)]);
  const seconds = (Date.now() - started) / 1000;
  assert.ok(seconds >= 1.5, `took ${seconds.toFixed(2)} s for 2 MiB in all at 1 MiB/s`);
});

test('lifting the limit mid-transfer lets the rest go at once; a bad limit is refused with a clear error', async (t) => {
  const { box, engine } = await engineForTest(t, { bandwidthLimit: 256 * 1024 });
  const body = testBytes(8 * MiB, 54);
  server.route('/lift', { body });
  const started = Date.now();
  const job = await startJob(engine, box, [{ url: server.url('/lift'), name: 'lift.bin' }]);
  await letTimePass(300); // a while under the limit, then lift it
  const early = engine.getProgress(job.id).bytesTransferred;
  // Bounded by the time that really passed (a busy machine may wake the test late), never by a fixed 0.3 s.
  const seconds = (Date.now() - started) / 1000;
  assert.ok(early < 4 * MiB + 256 * 1024 * seconds, `${early} bytes in ${seconds.toFixed(2)} s under a 256 KiB/s limit`);
  engine.setBandwidthLimit(0);
  // 8 MiB at 256 KiB/s would need 32 s; without the limit it is done well inside the time limit.
  await waitForState(engine, job.id, JobState.TRANSFERRED, 15_000);
  assert.throws(() => engine.setBandwidthLimit(-1), /bytes per second, 0 \(no limit\) or more/);
});

test('the token bucket serves waiters in order and goes into debt for a large request', async () => {
  const limiter = new BandwidthLimiter(1000 * 1024);
  const order: number[] = [];
  const started = Date.now();
  await Promise.all([1, 2, 3].map((n) => limiter.take(200 * 1024).then(() => order.push(n))));
  assert.deepEqual(order, [1, 2, 3]);
  // 600 KiB with a 100 KiB burst at 1000 KiB/s: the third waits for the debt of the first two.
  assert.ok(Date.now() - started >= 250, 'the debt was repaid before the third request passed');
  limiter.setLimit(0);
  assert.equal(limiter.limited, false);
  await limiter.take(10 * 1024 * 1024);
});
