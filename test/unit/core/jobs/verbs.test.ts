// The BITS verbs and states: what each verb does in each state, the errors for bad input and forbidden
// states, and that every transition is an event.
import assert from 'node:assert/strict';
import { mkdirSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { BitsError, Codes, ErrorContext } from '../../../../src/core/errors';
import { JobPriority, JobState } from '../../../../src/core/model/job';
import { engineForTest, listNames, openEngine, recordStates, sandbox, startJob, waitForState } from '../../../support/engine';
import { startServer, testBytes, type TestServer } from '../../../support/servers';
import { letTimePass, waitUntil } from '../../../support/wait';

let server: TestServer;
const small = testBytes(20_000, 7);
before(async () => {
  server = await startServer();
  server.route('/small', { body: small });
  server.route('/slow', { body: testBytes(400_000, 8), bytesPerSecond: 100_000 });
  // Slow until suspended, then at full speed for the resumed request.
  server.route('/slow-then-fast', (n) =>
    n === 1 ? { body: testBytes(400_000, 9), bytesPerSecond: 100_000 } : { body: testBytes(400_000, 9) },
  );
});
after(() => server.close());

function rejectsWith(code: number, pattern?: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof BitsError, `expected a BitsError, got ${String(err)}`);
    assert.equal(err.code, code >>> 0, `expected ${code.toString(16)}, got ${err.code.toString(16)}: ${err.message}`);
    if (pattern) assert.match(err.message, pattern);
    return true;
  };
}

test('a new job is SUSPENDED with BITS defaults, and resuming it without files is BG_E_EMPTY', async (t) => {
  const { engine } = await engineForTest(t);
  const events: string[] = [];
  engine.onDidChangeJob((e) => events.push(e.kind));
  const job = await engine.createJob({ displayName: 'empty' });
  assert.equal(job.state, JobState.SUSPENDED);
  assert.equal(job.priority, JobPriority.NORMAL);
  assert.equal(job.minimumRetryDelay, 600);
  assert.equal(job.noProgressTimeout, 1_209_600);
  assert.deepEqual(events, ['created']);
  await assert.rejects(engine.resume(job.id), rejectsWith(Codes.BG_E_EMPTY, /no files/));
  assert.equal(engine.getJob(job.id)?.state, JobState.SUSPENDED);
});

test('addFile refuses relative paths, other schemes, duplicate paths, folders and malformed digests, each with its own clear error', async (t) => {
  const { box, engine } = await engineForTest(t);
  const job = await engine.createJob({ displayName: 'bad input' });
  const dest = (name: string) => path.join(box.dest, name);
  await assert.rejects(
    engine.addFile(job.id, { remoteUrl: server.url('/small'), localPath: 'relative/file' }),
    rejectsWith(Codes.E_INVALIDARG, /not absolute/),
  );
  await assert.rejects(
    engine.addFile(job.id, { remoteUrl: 'ftp://example.com/x', localPath: dest('x') }),
    rejectsWith(Codes.BG_E_PROTOCOL_NOT_AVAILABLE, /only http and https/),
  );
  await assert.rejects(
    engine.addFile(job.id, { remoteUrl: 'file:///etc/passwd', localPath: dest('x') }),
    rejectsWith(Codes.BG_E_PROTOCOL_NOT_AVAILABLE),
  );
  await assert.rejects(
    engine.addFile(job.id, { remoteUrl: 'not a url', localPath: dest('x') }),
    rejectsWith(Codes.E_INVALIDARG, /not a valid URL/),
  );
  await assert.rejects(
    engine.addFile(job.id, { remoteUrl: server.url('/small'), localPath: dest('x'), sha256: 'abc' }),
    rejectsWith(Codes.E_INVALIDARG, /not a sha256/),
  );
  mkdirSync(dest('folder'), { recursive: true });
  await assert.rejects(
    engine.addFile(job.id, { remoteUrl: server.url('/small'), localPath: dest('folder') }),
    rejectsWith(Codes.E_INVALIDARG, /existing folder/),
  );
  await engine.addFile(job.id, { remoteUrl: server.url('/small'), localPath: dest('one') });
  await assert.rejects(
    engine.addFile(job.id, { remoteUrl: server.url('/small'), localPath: dest('sub/../one') }),
    rejectsWith(Codes.E_INVALIDARG, /already has a file/),
  );
  // Nothing of the refused files was kept.
  assert.equal(engine.getJob(job.id)?.files.length, 1);
  await assert.rejects(engine.resume('no-such-job'), rejectsWith(Codes.BG_E_NOT_FOUND));
  await assert.rejects(engine.createJob({ displayName: 'x', securityFlags: 0x1000 }), rejectsWith(Codes.E_INVALIDARG, /security flags/));
  await assert.rejects(
    engine.createJob({ displayName: 'x', customHeaders: { Range: 'bytes=0-' } }),
    rejectsWith(Codes.E_INVALIDARG, /managed by the download engine/),
  );
  await assert.rejects(
    engine.createJob({ displayName: 'x', customHeaders: { 'X-A': 'a\r\nInjected: 1' } }),
    rejectsWith(Codes.E_INVALIDARG, /line breaks/),
  );
});

test('a job goes SUSPENDED -> QUEUED -> CONNECTING -> TRANSFERRING -> TRANSFERRED -> ACKNOWLEDGED, one event per transition with the previous state', async (t) => {
  const { box, engine } = await engineForTest(t);
  const job = await engine.createJob({ displayName: 'life' });
  const transitions: [JobState | undefined, JobState][] = [];
  engine.onDidChangeJob((e) => {
    if (e.kind === 'state' && e.job.id === job.id) transitions.push([e.previousState, e.job.state]);
  });
  await engine.addFile(job.id, { remoteUrl: server.url('/small'), localPath: path.join(box.dest, 'small.bin') });
  await engine.resume(job.id);
  await waitForState(engine, job.id, JobState.TRANSFERRED);
  const done = engine.getJob(job.id)!;
  assert.ok(done.times.transferCompleted, 'transfer completion time is recorded');
  const result = await engine.complete(job.id);
  assert.equal(result.code, Codes.S_OK);
  assert.deepEqual(transitions, [
    [JobState.SUSPENDED, JobState.QUEUED],
    [JobState.QUEUED, JobState.CONNECTING],
    [JobState.CONNECTING, JobState.TRANSFERRING],
    [JobState.TRANSFERRING, JobState.TRANSFERRED],
    [JobState.TRANSFERRED, JobState.ACKNOWLEDGED],
  ]);
  // Final jobs leave the list but stay readable until removed.
  assert.equal(engine.listJobs().length, 0);
  assert.equal(engine.getJob(job.id)?.state, JobState.ACKNOWLEDGED);
  await engine.removeJob(job.id);
  assert.equal(engine.getJob(job.id), undefined);
});

test('verbs BITS forbids in a state give BG_E_INVALID_STATE naming the verb and the state', async (t) => {
  const { box, engine } = await engineForTest(t);
  const job = await startJob(engine, box, [{ url: server.url('/small'), name: 's.bin' }]);
  await waitForState(engine, job.id, JobState.TRANSFERRED);
  await assert.rejects(engine.suspend(job.id), rejectsWith(Codes.BG_E_INVALID_STATE, /Cannot suspend job .*: it is TRANSFERRED/));
  await assert.rejects(engine.retryNow(job.id), rejectsWith(Codes.BG_E_INVALID_STATE, /retryNow .* TRANSFERRED/));
  await assert.rejects(engine.removeJob(job.id), rejectsWith(Codes.BG_E_INVALID_STATE, /remove/));
  await engine.complete(job.id);
  for (const verb of [
    () => engine.resume(job.id),
    () => engine.suspend(job.id),
    () => engine.cancel(job.id),
    () => engine.complete(job.id),
    () => engine.setPriority(job.id, JobPriority.HIGH),
    () => engine.addFile(job.id, { remoteUrl: server.url('/small'), localPath: path.join(box.dest, 'late') }),
  ]) {
    await assert.rejects(verb(), rejectsWith(Codes.BG_E_INVALID_STATE, /it is ACKNOWLEDGED/));
  }
  const cancelled = await engine.createJob({ displayName: 'c' });
  await engine.cancel(cancelled.id);
  await assert.rejects(engine.resume(cancelled.id), rejectsWith(Codes.BG_E_INVALID_STATE, /it is CANCELLED/));
});

test('suspend stops a transfer and keeps its bytes; resume continues from them with a Range request', async (t) => {
  const { box, engine } = await engineForTest(t);
  const before = server.requestsFor('/slow-then-fast').length;
  const job = await startJob(engine, box, [{ url: server.url('/slow-then-fast'), name: 'slow.bin' }]);
  await waitForState(engine, job.id, JobState.TRANSFERRING);
  await waitUntil('the first bytes', () => engine.getJob(job.id)!.files[0].bytesTransferred > 0);
  await engine.suspend(job.id);
  const suspended = engine.getJob(job.id)!;
  assert.equal(suspended.state, JobState.SUSPENDED);
  const kept = suspended.files[0].bytesTransferred;
  assert.ok(kept > 0 && kept < 400_000, `some bytes kept (${kept})`);
  await letTimePass(200); // on purpose: bytes would have moved by now if the job were still running
  assert.equal(engine.getJob(job.id)!.files[0].bytesTransferred, kept, 'nothing moves while suspended');
  await engine.setPriority(job.id, JobPriority.FOREGROUND);
  await engine.resume(job.id);
  await waitForState(engine, job.id, JobState.TRANSFERRED);
  const resumed = server.requestsFor('/slow-then-fast').slice(before);
  assert.equal(resumed.length, 2);
  assert.match(String(resumed[1].headers['range']), /^bytes=\d+-$/);
  assert.ok(Number(/\d+/.exec(String(resumed[1].headers['range']))![0]) >= kept);
});

test('cancel deletes the temp files and leaves no file at the destination', async (t) => {
  const { box, engine } = await engineForTest(t);
  const job = await startJob(engine, box, [{ url: server.url('/slow'), name: 'slow.bin' }]);
  await waitForState(engine, job.id, JobState.TRANSFERRING);
  await waitUntil('a temp file while transferring', () => listNames(box.dest).length === 1);
  assert.match(listNames(box.dest)[0], /^\.slow\.bin\..*\.mddownload$/);
  const { code } = await engine.cancel(job.id);
  assert.equal(code, Codes.S_OK);
  assert.equal(engine.getJob(job.id)?.state, JobState.CANCELLED);
  assert.deepEqual(listNames(box.dest), []);
});

test('complete before everything transferred keeps the whole files only and says which were dropped (BG_S_PARTIAL_COMPLETE)', async (t) => {
  const { box, engine } = await engineForTest(t);
  const job = await startJob(engine, box, [
    { url: server.url('/small'), name: 'whole.bin' },
    { url: server.url('/slow'), name: 'partial.bin' },
  ]);
  await new Promise<void>((resolve) => {
    const sub = engine.onDidChangeJob((e) => {
      if (e.job.id === job.id && e.job.files[0].transferred && e.job.files[1].bytesTransferred > 0) {
        sub.dispose();
        resolve();
      }
    });
  });
  const result = await engine.complete(job.id);
  assert.equal(result.code, Codes.BG_S_PARTIAL_COMPLETE);
  assert.deepEqual(result.completed, [path.join(box.dest, 'whole.bin')]);
  assert.deepEqual(result.notTransferred, [path.join(box.dest, 'partial.bin')]);
  assert.deepEqual(listNames(box.dest), ['whole.bin']);
});

test('setPriority and setProperties fire modified events; addFile on a transferred job requeues it', async (t) => {
  const { box, engine } = await engineForTest(t);
  const job = await engine.createJob({ displayName: 'props' });
  const kinds: string[] = [];
  engine.onDidChangeJob((e) => kinds.push(e.kind));
  await engine.setPriority(job.id, JobPriority.LOW);
  const patched = await engine.setProperties(job.id, {
    displayName: 'renamed',
    minimumRetryDelay: 0,
    noProgressTimeout: 30,
    customHeaders: { 'X-Token': 'a' },
  });
  assert.equal(patched.displayName, 'renamed');
  assert.equal(patched.priority, JobPriority.LOW);
  assert.deepEqual(patched.customHeaders, { 'X-Token': 'a' });
  assert.deepEqual(kinds, ['modified', 'modified']);
  await assert.rejects(engine.setProperties(job.id, { noProgressTimeout: -1 }), rejectsWith(Codes.E_INVALIDARG, /0 or more/));

  await engine.addFile(job.id, { remoteUrl: server.url('/small'), localPath: path.join(box.dest, 'first') });
  await engine.resume(job.id);
  await waitForState(engine, job.id, JobState.TRANSFERRED);
  const seen = recordStates(engine, job.id);
  await engine.addFile(job.id, { remoteUrl: server.url('/small'), localPath: path.join(box.dest, 'second') });
  await waitForState(engine, job.id, JobState.TRANSFERRED);
  assert.deepEqual(seen.slice(0, 1), [JobState.QUEUED]);
  assert.equal(
    engine.getJob(job.id)!.files.every((f) => f.transferred),
    true,
  );
  assert.ok(server.requests.length > 0);
  assert.equal(server.requests.at(-1)?.headers['x-token'], 'a', 'custom headers are sent');
});

test('an auto-complete job puts its files in place by itself once transferred', async (t) => {
  const { box, engine } = await engineForTest(t);
  const job = await startJob(engine, box, [{ url: server.url('/small'), name: 'auto.bin' }], { displayName: 'auto', autoComplete: true });
  await waitForState(engine, job.id, JobState.ACKNOWLEDGED);
  assert.ok(existsSync(path.join(box.dest, 'auto.bin')));
  assert.deepEqual(listNames(box.dest), ['auto.bin']);
});

test("the connection provider's agent is asked for each connection with the job id and file index", async (t) => {
  const box = sandbox();
  const http = await import('node:http');
  const net = await import('node:net');
  const seen: { jobId: unknown; fileIndex: unknown; host: unknown }[] = [];
  // A real agent that records what its createConnection receives, as the certificate gate reads it.
  const agent = new http.Agent();
  agent.createConnection = (options, callback) => {
    const o = options as Record<string, unknown>;
    seen.push({ jobId: o.mdJobId, fileIndex: o.mdFileIndex, host: o.host });
    const socket = net.connect({ host: String(o.host), port: Number(o.port) });
    socket.once('connect', () => (callback as unknown as (e: null, s: typeof socket) => void)(null, socket));
    return undefined as never;
  };
  const engine = await openEngine(box, { connections: { agentFor: () => agent } });
  t.after(async () => {
    await engine.dispose();
    await box.cleanup();
  });
  const job = await startJob(engine, box, [
    { url: server.url('/small'), name: 'one.bin' },
    { url: server.url('/small'), name: 'two.bin' },
  ]);
  await waitForState(engine, job.id, JobState.TRANSFERRED);
  assert.deepEqual(seen, [
    { jobId: job.id, fileIndex: 0, host: '127.0.0.1' },
    { jobId: job.id, fileIndex: 1, host: '127.0.0.1' },
  ]);
});

test('a job stopped by a BitsError from the connection provider records its code and context as given', async (t) => {
  const box = sandbox();
  const http = await import('node:http');
  let transient = false;
  const refusing = new http.Agent();
  // A real agent whose connections are refused by a "gate", the way the certificate gate fails them.
  refusing.createConnection = (_options, callback) => {
    const cb = callback as unknown as (err: Error | null) => void;
    setImmediate(() => cb(new BitsError(0x800b0109, 'declined by the validator', ErrorContext.SERVER_CERTIFICATE_CALLBACK, { transient })));
    return undefined as never;
  };
  const engine = await openEngine(box, { connections: { agentFor: () => refusing } });
  t.after(async () => {
    await engine.dispose();
    await box.cleanup();
  });
  const job = await startJob(engine, box, [{ url: server.url('/small'), name: 'gated.bin' }]);
  const failed = await waitForState(engine, job.id, JobState.ERROR);
  assert.equal(failed.error?.code, 0x800b0109);
  assert.equal(failed.error?.context, ErrorContext.SERVER_CERTIFICATE_CALLBACK);
  assert.match(failed.error!.description, /declined by the validator/);
  assert.equal(failed.error?.fileIndex, 0);

  // transient: true puts the job in TRANSIENT_ERROR instead, to be retried.
  transient = true;
  const again = await startJob(engine, box, [{ url: server.url('/small'), name: 'gated2.bin' }], {
    displayName: 'x',
    minimumRetryDelay: 3600,
  });
  const waiting = await waitForState(engine, again.id, JobState.TRANSIENT_ERROR);
  assert.equal(waiting.error?.code, 0x800b0109);
  assert.equal(waiting.error?.context, ErrorContext.SERVER_CERTIFICATE_CALLBACK);
});

test("setValidatorSource records the need (persisted), fires modified and drops the job's pooled connections", async (t) => {
  const box = sandbox();
  const closed: string[] = [];
  const http = await import('node:http');
  const agent = new http.Agent();
  const engine = await openEngine(box, { connections: { agentFor: () => agent, closeJobConnections: (id) => closed.push(id) } });
  t.after(async () => {
    await engine.dispose();
    await box.cleanup();
  });
  const job = await engine.createJob({ displayName: 'validated' });
  const kinds: string[] = [];
  engine.onDidChangeJob((e) => kinds.push(e.kind));
  await engine.setValidatorSource(job.id, 'workspace');
  assert.equal(engine.getJob(job.id)?.validator, 'workspace');
  assert.deepEqual(kinds, ['modified']);
  assert.deepEqual(closed, [job.id]);
  await assert.rejects(engine.setValidatorSource(job.id, 'plugin' as never), rejectsWith(Codes.E_INVALIDARG, /Unknown validator source/));
  await engine.dispose();
  const reopened = await openEngine(box);
  assert.equal(reopened.getJob(job.id)?.validator, 'workspace');
  await reopened.dispose();
});

test('suspend during a retry wait cancels the retry; cancel from ERROR deletes the kept bytes', async (t) => {
  const { box, engine } = await engineForTest(t);
  server.route('/fails-later', (n) => (n === 1 ? { body: small, truncateAfter: 8_000 } : { status: 403 }));
  const job = await startJob(engine, box, [{ url: server.url('/fails-later'), name: 'later.bin' }], {
    displayName: 'x',
    minimumRetryDelay: 3600,
  });
  await waitForState(engine, job.id, JobState.TRANSIENT_ERROR);
  await engine.suspend(job.id);
  assert.equal(engine.getJob(job.id)?.state, JobState.SUSPENDED);
  assert.equal(server.requestsFor('/fails-later').length, 1);
  await engine.resume(job.id);
  const failed = await waitForState(engine, job.id, JobState.ERROR);
  assert.equal(failed.error?.code, 0x80190193);
  assert.equal(listNames(box.dest).length, 1, 'the bytes received before the error are kept');
  await engine.cancel(job.id);
  assert.deepEqual(listNames(box.dest), []);
});

test('a job without write-only headers never waits on the secret store (a keychain that never answers)', async (t) => {
  // As in code-server when the window's browser tab is gone: the extension host runs on, its keychain calls hang.
  // (Answered once the test is over, so that a failure ends the test instead of hanging the engine's disposal.)
  const waiting: (() => void)[] = [];
  const neverAnswers = () => new Promise<undefined>((resolve) => waiting.push(() => resolve(undefined)));
  const { box, engine } = await engineForTest(t, { headerSecrets: neverAnswers });
  try {
    const job = await startJob(engine, box, [{ url: server.url('/small'), name: 'no-secrets.bin' }]);
    await waitForState(engine, job.id, JobState.TRANSFERRED, 10_000);
  } finally {
    for (const answer of waiting) answer();
  }
});

test('write-only header values come from the secret provider: sent on requests, never in the job store', async (t) => {
  const { box, engine } = await engineForTest(t, { headerSecrets: () => ({ Authorization: 'Bearer s3cr3t-value' }) });
  // The job names its write-only header, as every setter of one does (the store is asked only then).
  const job = await engine.createJob({ displayName: 'secret', minimumRetryDelay: 0 });
  await engine.setProperties(job.id, { writeOnlyHeaderNames: ['Authorization'] });
  await engine.addFile(job.id, { remoteUrl: server.url('/small'), localPath: path.join(box.dest, 'secret.bin') });
  await engine.resume(job.id);
  await waitForState(engine, job.id, JobState.TRANSFERRED);
  assert.equal(server.requestsFor('/small').at(-1)?.headers['authorization'], 'Bearer s3cr3t-value');
  await engine.dispose();
  const { readdirSync, readFileSync } = await import('node:fs');
  const jobs = path.join(box.store, 'jobs');
  for (const name of readdirSync(jobs))
    assert.ok(!readFileSync(path.join(jobs, name), 'utf8').includes('s3cr3t'), `${name} holds no secret`);
});
