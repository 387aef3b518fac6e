// Changing a file's expected sha256 after it was added (setProperties' fileSha256, what the Job Options form
// uses): allowed while the file is not transferred, refused once its bytes were accepted, all or none.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { BitsError, Codes } from '../../../../src/core/errors';
import { JobState } from '../../../../src/core/model/job';
import { engineForTest, waitForState } from '../../../support/engine';
import { sha256, startServer, testBytes, type TestServer } from '../../../support/servers';

let server: TestServer;
const body = testBytes(30_000, 11);
const digest = sha256(body);
const wrong = 'ab'.repeat(32);
before(async () => {
  server = await startServer();
  server.route('/file', { body });
});
after(() => server.close());

function rejectsWith(code: number, pattern: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof BitsError, `expected a BitsError, got ${String(err)}`);
    assert.equal(err.code, code >>> 0, `expected ${code.toString(16)}, got ${err.code.toString(16)}: ${err.message}`);
    assert.match(err.message, pattern);
    return true;
  };
}

test('a checksum set after adding the file is the one the transfer checks: a wrong one fails the job, the right one then completes it', async (t) => {
  const { box, engine } = await engineForTest(t);
  const job = await engine.createJob({ displayName: 'checksum later' });
  await engine.addFile(job.id, { remoteUrl: server.url('/file'), localPath: path.join(box.dest, 'file') });
  const set = await engine.setProperties(job.id, { fileSha256: [{ fileIndex: 0, sha256: wrong.toUpperCase() }] });
  assert.equal(set.files[0].sha256, wrong, 'stored lower-case');
  await engine.resume(job.id);
  const failed = await waitForState(engine, job.id, JobState.ERROR);
  assert.equal(failed.error?.code, Codes.MD_E_HASH_MISMATCH);

  await engine.setProperties(job.id, { fileSha256: [{ fileIndex: 0, sha256: digest }] });
  await engine.resume(job.id);
  const done = await waitForState(engine, job.id, JobState.TRANSFERRED);
  assert.equal(done.files[0].sha256, digest);
});

test('null drops the check of a file not yet transferred', async (t) => {
  const { box, engine } = await engineForTest(t);
  const job = await engine.createJob({ displayName: 'drop' });
  await engine.addFile(job.id, { remoteUrl: server.url('/file'), localPath: path.join(box.dest, 'file'), sha256: wrong });
  const dropped = await engine.setProperties(job.id, { fileSha256: [{ fileIndex: 0, sha256: null }] });
  assert.equal(dropped.files[0].sha256, undefined);
  await engine.resume(job.id);
  await waitForState(engine, job.id, JobState.TRANSFERRED);
});

test('a transferred file keeps its checksum, and a refused entry leaves the whole patch unapplied', async (t) => {
  const { box, engine } = await engineForTest(t);
  const job = await engine.createJob({ displayName: 'fixed' });
  await engine.addFile(job.id, { remoteUrl: server.url('/file'), localPath: path.join(box.dest, 'file') });
  await engine.resume(job.id);
  await waitForState(engine, job.id, JobState.TRANSFERRED);
  await engine.addFile(job.id, { remoteUrl: server.url('/file'), localPath: path.join(box.dest, 'second') });
  await engine.suspend(job.id);

  await assert.rejects(
    engine.setProperties(job.id, {
      displayName: 'renamed',
      fileSha256: [
        { fileIndex: 1, sha256: digest },
        { fileIndex: 0, sha256: digest },
      ],
    }),
    rejectsWith(Codes.BG_E_INVALID_STATE, /already transferred/),
  );
  const unchanged = engine.getJob(job.id)!;
  assert.equal(unchanged.displayName, 'fixed');
  assert.equal(unchanged.files[1].sha256, undefined);
  // Repeating what a transferred file already has is no change, so it is not refused.
  await engine.setProperties(job.id, {
    fileSha256: [
      { fileIndex: 0, sha256: null },
      { fileIndex: 1, sha256: digest },
    ],
  });
  assert.equal(engine.getJob(job.id)!.files[1].sha256, digest);
});

test('bad checksum changes are E_INVALIDARG naming what to fix; a finished job refuses them', async (t) => {
  const { box, engine } = await engineForTest(t);
  const job = await engine.createJob({ displayName: 'bad' });
  await engine.addFile(job.id, { remoteUrl: server.url('/file'), localPath: path.join(box.dest, 'file') });
  await assert.rejects(
    engine.setProperties(job.id, { fileSha256: [{ fileIndex: 3, sha256: digest }] }),
    rejectsWith(Codes.E_INVALIDARG, /no file 3/),
  );
  await assert.rejects(
    engine.setProperties(job.id, { fileSha256: [{ fileIndex: 0, sha256: 'abc' }] }),
    rejectsWith(Codes.E_INVALIDARG, /not a sha256/),
  );
  await assert.rejects(
    engine.setProperties(job.id, { fileSha256: [{ fileIndex: -1, sha256: digest }] }),
    rejectsWith(Codes.E_INVALIDARG, /not a file index/),
  );
  await assert.rejects(
    engine.setProperties(job.id, {
      fileSha256: [
        { fileIndex: 0, sha256: digest },
        { fileIndex: 0, sha256: null },
      ],
    }),
    rejectsWith(Codes.E_INVALIDARG, /twice/),
  );
  await engine.cancel(job.id);
  await assert.rejects(
    engine.setProperties(job.id, { fileSha256: [{ fileIndex: 0, sha256: digest }] }),
    rejectsWith(Codes.BG_E_INVALID_STATE, /CANCELLED/),
  );
});
