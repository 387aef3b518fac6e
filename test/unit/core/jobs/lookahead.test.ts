// A job's files go one at a time, but the next file's request goes out once the current file's bytes have all
// arrived, while its last write and its checks finish (job-runner.ts). These hold the current file's last
// write back with a bandwidth limit, so the overlap happens every run, and check the order of events, never
// a duration.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { Codes } from '../../../../src/core/errors';
import { JobState } from '../../../../src/core/model/job';
import { engineForTest, startJob, waitForState } from '../../../support/engine';
import { sha256, startServer, testBytes, type TestServer } from '../../../support/servers';
import { letTimePass } from '../../../support/wait';

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server.close());

// The first write of 256 KiB waits ~0.6 s for the limit; the body has long arrived by then.
const LIMIT = 400 << 10;

function requestsFor(route: string): number {
  return server.requests.filter((r) => r.path === route).length;
}

test("the next file is asked for while the current file's last write waits; both arrive whole, in order", async (t) => {
  const seenAtFirstTransferred: number[] = [];
  const { box, engine } = await engineForTest(t, {
    bandwidthLimit: LIMIT,
    log: (_level, message) => {
      if (/file 0 transferred/.test(message)) seenAtFirstTransferred.push(requestsFor('/ahead/1'));
    },
  });
  const first = testBytes(300_000, 11);
  const second = testBytes(20_000, 12);
  server.route('/ahead/0', { body: first });
  server.route('/ahead/1', { body: second });
  const job = await startJob(engine, box, [
    { url: server.url('/ahead/0'), name: 'a.bin' },
    { url: server.url('/ahead/1'), name: 'b.bin' },
  ]);
  const done = await waitForState(engine, job.id, JobState.TRANSFERRED);
  assert.deepEqual(seenAtFirstTransferred, [1], 'file 1 was asked for before file 0 counted as transferred');
  assert.equal(done.files.filter((f) => f.transferred).length, 2);
  await engine.complete(job.id);
  assert.equal(sha256(readFileSync(path.join(box.dest, 'a.bin'))), sha256(first));
  assert.equal(sha256(readFileSync(path.join(box.dest, 'b.bin'))), sha256(second));
});

test('when the current file fails its check, the file started ahead is stopped and the job fails on the current one', async (t) => {
  const { box, engine } = await engineForTest(t, { bandwidthLimit: LIMIT });
  const first = testBytes(300_000, 21);
  // The one ahead is slow, so it is still running when the current file's check fails.
  server.route('/fail-ahead/0', { body: first });
  server.route('/fail-ahead/1', { body: testBytes(2_000_000, 22), bytesPerSecond: 200_000 });
  server.route('/fail-ahead/2', { body: testBytes(1_000, 23) });
  const job = await startJob(engine, box, [
    { url: server.url('/fail-ahead/0'), name: 'a.bin', sha256: 'ab'.repeat(32) },
    { url: server.url('/fail-ahead/1'), name: 'b.bin' },
    { url: server.url('/fail-ahead/2'), name: 'c.bin' },
  ]);
  const failed = await waitForState(engine, job.id, JobState.ERROR);
  assert.equal(failed.error?.code, Codes.MD_E_HASH_MISMATCH);
  assert.equal(failed.error?.fileIndex, 0, 'the job fails on the file whose check failed');
  assert.equal(requestsFor('/fail-ahead/1'), 1, 'file 1 had been started ahead');
  assert.equal(requestsFor('/fail-ahead/2'), 0, 'nothing beyond the one file ahead');
  assert.deepEqual(
    failed.files.map((f) => f.transferred),
    [false, false, false],
  );
  // The stopped file wrote nothing more once the job failed, and no file is in place.
  const file1 = engine.getJob(job.id)!.files[1];
  const bytesAtFailure = file1.bytesTransferred;
  await letTimePass(300); // on purpose: a stopped file that still wrote would have moved by now
  assert.equal(engine.getJob(job.id)!.files[1].bytesTransferred, bytesAtFailure);
  assert.equal(existsSync(path.join(box.dest, 'b.bin')), false);
});

test("a small file's answer lets the next file ask at once, while its body still streams; a large file's does not", async (t) => {
  const { box, engine } = await engineForTest(t);
  // Paced bodies: the small one takes ~0.5 s, the large one ~2 s (so it is far from done when the small one is
  // transferred); what is checked is how far each body had come, not when.
  const small = testBytes(50_000, 31);
  const large = testBytes(1_200_000, 32);
  const after = testBytes(1_000, 33);
  let jobId = '';
  const seen: Record<string, number> = {};
  const written = (index: number) => engine.getJob(jobId)!.files[index].bytesTransferred;
  server.route('/answer-ahead/0', { body: small, bytesPerSecond: 100_000 });
  server.route('/answer-ahead/1', () => {
    seen.smallWhenNextAsked = written(0);
    return { body: large, bytesPerSecond: 600_000 };
  });
  server.route('/answer-ahead/2', () => {
    seen.largeWhenNextAsked = written(1);
    return { body: after };
  });
  const job = await startJob(engine, box, [
    { url: server.url('/answer-ahead/0'), name: 'a.bin' },
    { url: server.url('/answer-ahead/1'), name: 'b.bin' },
    { url: server.url('/answer-ahead/2'), name: 'c.bin' },
  ]);
  jobId = job.id;
  await waitForState(engine, job.id, JobState.TRANSFERRED);
  assert.ok(seen.smallWhenNextAsked < small.length / 2, `file 1 was asked for early in file 0's body (${seen.smallWhenNextAsked} bytes)`);
  assert.ok(
    seen.largeWhenNextAsked > large.length / 2,
    `file 2 waited for most of file 1's body, a file over 1 MiB (${seen.largeWhenNextAsked} bytes)`,
  );
  await engine.complete(job.id);
  for (const [name, body] of [
    ['a.bin', small],
    ['b.bin', large],
    ['c.bin', after],
  ] as const) {
    assert.equal(sha256(readFileSync(path.join(box.dest, name))), sha256(body), name);
  }
});
