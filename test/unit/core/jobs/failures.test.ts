// Errors as BITS has them: HTTP statuses as 0x80190000+N, transient ones retried after the minimum retry delay
// (or Retry-After), final ones in ERROR, the no-progress window, and local file errors in context LOCAL_FILE.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, chmodSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { Codes, ErrorContext, httpStatusCode } from '../../../../src/core/errors';
import { JobState } from '../../../../src/core/model/job';
import { engineForTest, listNames, startJob, waitForState } from '../../../support/engine';
import { sha256, startServer, testBytes, type TestServer } from '../../../support/servers';
import { letTimePass } from '../../../support/wait';

let server: TestServer;
const body = testBytes(100_000, 31);
before(async () => {
  server = await startServer();
  server.route('/ok', { body });
});
after(() => server.close());

const withEngine = engineForTest;

test('404 is a final ERROR with code 0x80190194 in context REMOTE_FILE, not retried', async (t) => {
  const { box, engine } = await withEngine(t);
  const job = await startJob(engine, box, [{ url: server.url('/missing'), name: 'missing.bin' }]);
  const failed = await waitForState(engine, job.id, JobState.ERROR);
  assert.equal(failed.error?.code, 0x80190194);
  assert.equal(failed.error?.code, httpStatusCode(404));
  assert.equal(failed.error?.context, ErrorContext.REMOTE_FILE);
  assert.match(failed.error!.description, /HTTP 404/);
  await letTimePass(200); // on purpose: a retry would have been sent by now
  assert.equal(server.requestsFor('/missing').length, 1, 'a final error is not retried');
  assert.deepEqual(listNames(box.dest), []);
});

test('503 with Retry-After is TRANSIENT_ERROR, retried no sooner than the server asked, then completes', async (t) => {
  const { box, engine } = await withEngine(t);
  server.route('/busy', (n) => (n === 1 ? { status: 503, headers: { 'Retry-After': '1' } } : { body }));
  const job = await startJob(engine, box, [{ url: server.url('/busy'), name: 'busy.bin' }]);
  const transient = await waitForState(engine, job.id, JobState.TRANSIENT_ERROR);
  assert.equal(transient.error?.code, httpStatusCode(503));
  assert.ok(transient.retryAt! - Date.parse(transient.error!.time) >= 1000, 'the retry is scheduled at least Retry-After later');
  await waitForState(engine, job.id, JobState.TRANSFERRED);
  const [first, second] = server.requestsFor('/busy');
  assert.ok(second.at - first.at >= 1000, `retried after ${second.at - first.at} ms`);
});

test('5xx, 408 and 429 are transient; other 4xx are final', async (t) => {
  const { box, engine } = await withEngine(t);
  for (const status of [500, 502, 408, 429]) {
    server.route(`/status/${status}`, (n) => (n === 1 ? { status } : { body }));
    const job = await startJob(engine, box, [{ url: server.url(`/status/${status}`), name: `s${status}` }]);
    await waitForState(engine, job.id, JobState.TRANSFERRED);
    assert.equal(server.requestsFor(`/status/${status}`).length, 2, `${status} was retried once`);
  }
  for (const status of [400, 401, 403, 410]) {
    server.route(`/status/${status}`, { status });
    const job = await startJob(engine, box, [{ url: server.url(`/status/${status}`), name: `s${status}` }]);
    const failed = await waitForState(engine, job.id, JobState.ERROR);
    assert.equal(failed.error?.code, httpStatusCode(status));
  }
});

test('a server that stalls past the no-progress timeout puts the job in ERROR (BG_E_NO_PROGRESS), bytes kept', async (t) => {
  const { box, engine } = await withEngine(t);
  server.route('/stall', { body, stallAfter: 30_000 });
  const job = await startJob(engine, box, [{ url: server.url('/stall'), name: 'stall.bin' }], {
    displayName: 'stall',
    minimumRetryDelay: 0,
    noProgressTimeout: 1,
  });
  const failed = await waitForState(engine, job.id, JobState.ERROR);
  assert.equal(failed.error?.code, Codes.BG_E_NO_PROGRESS);
  assert.match(failed.error!.description, /no-progress timeout/);
  assert.ok(failed.files[0].bytesTransferred >= 30_000, 'the bytes received are kept');
});

test('a shorter stall is a transient time-out: the connection is dropped and the transfer continues', async (t) => {
  const { box, engine } = await withEngine(t, { stallTimeoutMs: 300 });
  server.route('/stall-once', (n) => (n === 1 ? { body, stallAfter: 40_000 } : { body }));
  const job = await startJob(engine, box, [{ url: server.url('/stall-once'), name: 'stall-once.bin', sha256: sha256(body) }]);
  const transient = await waitForState(engine, job.id, JobState.TRANSIENT_ERROR);
  assert.equal(transient.error?.code, Codes.ERROR_WINHTTP_TIMEOUT);
  await waitForState(engine, job.id, JobState.TRANSFERRED);
});

test('a transient error that outlasts the no-progress window becomes ERROR, keeping its code and saying why', async (t) => {
  const { box, engine } = await withEngine(t);
  server.route('/always-503', { status: 503 });
  const job = await startJob(engine, box, [{ url: server.url('/always-503'), name: 'x' }], {
    displayName: 'x',
    minimumRetryDelay: 0.1,
    noProgressTimeout: 2,
  });
  const failed = await waitForState(engine, job.id, JobState.ERROR);
  assert.equal(failed.error?.code, httpStatusCode(503));
  assert.match(failed.error!.description, /no-progress timeout/);
  assert.ok(server.requestsFor('/always-503').length >= 2, 'it was retried while the window lasted');
});

test('a retry still waiting for an answer when the window ends reports the error it retried, not a bare time-out', async (t) => {
  const { box, engine } = await withEngine(t);
  server.route('/503-then-silent', (n) => (n === 1 ? { status: 503 } : { status: 503, delayHeadersMs: 10_000 }));
  const job = await startJob(engine, box, [{ url: server.url('/503-then-silent'), name: 'x' }], {
    displayName: 'x',
    minimumRetryDelay: 0.1,
    noProgressTimeout: 1,
  });
  const failed = await waitForState(engine, job.id, JobState.ERROR);
  assert.equal(server.requestsFor('/503-then-silent').length, 2, 'the retry was sent and cut short by the window');
  assert.equal(failed.error?.code, httpStatusCode(503));
  assert.match(failed.error!.description, /no-progress timeout/);
});

test('no-progress timeout 0 makes the first error final, and resume after ERROR tries again', async (t) => {
  const { box, engine } = await withEngine(t);
  server.route('/flaky', (n) => (n === 1 ? { status: 503 } : { body }));
  const job = await startJob(engine, box, [{ url: server.url('/flaky'), name: 'flaky.bin' }], {
    displayName: 'x',
    minimumRetryDelay: 0,
    noProgressTimeout: 0,
  });
  const failed = await waitForState(engine, job.id, JobState.ERROR);
  assert.equal(failed.error?.code, httpStatusCode(503));
  assert.match(failed.error!.description, /first error is final/);
  await engine.resume(job.id);
  const done = await waitForState(engine, job.id, JobState.TRANSFERRED);
  assert.equal(done.error, undefined, 'the error is cleared once the job succeeds');
});

test('retryNow skips the remaining retry delay', async (t) => {
  const { box, engine } = await withEngine(t);
  server.route('/later', (n) => (n === 1 ? { status: 503 } : { body }));
  const job = await startJob(engine, box, [{ url: server.url('/later'), name: 'later.bin' }], {
    displayName: 'x',
    minimumRetryDelay: 3600,
  });
  const transient = await waitForState(engine, job.id, JobState.TRANSIENT_ERROR);
  assert.ok(transient.retryAt! > Date.now() + 3_000_000, 'an hour away');
  await engine.retryNow(job.id);
  await waitForState(engine, job.id, JobState.TRANSFERRED);
});

test('a connection refused is a transient connect failure (BG_E_CONNECT_FAILURE)', async (t) => {
  const { box, engine } = await withEngine(t);
  const closed = await startServer();
  const url = closed.url('/gone');
  await closed.close();
  const job = await startJob(engine, box, [{ url, name: 'gone.bin' }], { displayName: 'x', minimumRetryDelay: 3600 });
  const transient = await waitForState(engine, job.id, JobState.TRANSIENT_ERROR);
  assert.equal(transient.error?.code, Codes.BG_E_CONNECT_FAILURE);
  assert.equal(transient.error?.context, ErrorContext.GENERAL_TRANSPORT);
  // The temp file, created while the request was out, is gone again: nothing arrived to keep.
  assert.deepEqual(listNames(box.dest), []);
});

test('a destination whose folder is a file is a LOCAL_FILE error; other jobs go on', async (t) => {
  const { box, engine } = await withEngine(t);
  mkdirSync(box.dest, { recursive: true });
  writeFileSync(path.join(box.dest, 'not-a-folder'), 'x');
  const bad = await startJob(engine, box, [{ url: server.url('/ok'), name: 'not-a-folder/file.bin' }]);
  const good = await startJob(engine, box, [{ url: server.url('/ok'), name: 'good.bin' }]);
  const failed = await waitForState(engine, bad.id, JobState.ERROR);
  assert.equal(failed.error?.context, ErrorContext.LOCAL_FILE);
  assert.equal(failed.error?.code, Codes.E_FILE_EXISTS);
  assert.match(failed.error!.description, /in the way/);
  await waitForState(engine, good.id, JobState.TRANSFERRED);
});

test('permission denied at the destination is E_ACCESSDENIED in context LOCAL_FILE', async (t) => {
  const { box, engine } = await withEngine(t);
  const locked = path.join(box.dest, 'locked');
  mkdirSync(locked, { recursive: true });
  // Root ignores permission bits, so as root the folder is made immutable instead.
  const asRoot = process.getuid?.() === 0;
  if (asRoot && spawnSync('chattr', ['+i', locked]).status !== 0) return t.skip('running as root on a file system without chattr +i');
  if (!asRoot) chmodSync(locked, 0o555);
  try {
    const job = await startJob(engine, box, [{ url: server.url('/ok'), name: 'locked/file.bin' }]);
    const failed = await waitForState(engine, job.id, JobState.ERROR);
    assert.equal(failed.error?.code, Codes.E_ACCESSDENIED);
    assert.equal(failed.error?.context, ErrorContext.LOCAL_FILE);
    assert.match(failed.error!.description, /Permission denied/);
  } finally {
    if (asRoot) spawnSync('chattr', ['-i', locked]);
    else chmodSync(locked, 0o755);
  }
});
