// Persistence: jobs survive the engine closing and continue from their bytes; the store is replaced atomically;
// a corrupt or too-new job file is reported and kept aside while every other job loads.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { Codes } from '../../../../src/core/errors';
import { JobState } from '../../../../src/core/model/job';
import { parseStoredJob } from '../../../../src/core/store/job-format';
import { coalescingDelay } from '../../../../src/core/store/job-store';
import { StoreView } from '../../../../src/core/store/store-view';
import { listNames, openEngine, sandbox, startJob, waitForState } from '../../../support/engine';
import { sha256, startServer, testBytes, type TestServer } from '../../../support/servers';
import { letTimePass, waitUntil } from '../../../support/wait';

let server: TestServer;
const slowBody = testBytes(600_000, 71);
before(async () => {
  server = await startServer();
  server.route('/small', { body: testBytes(10_000, 70) });
  server.route('/slow', { body: slowBody, bytesPerSecond: 600_000 });
});
after(() => server.close());

const jobsFolder = (store: string) => path.join(store, 'jobs');

/** A sandbox whose engines are all disposed before its folder is removed. */
function tracked(t: { after: (fn: () => Promise<void>) => void }) {
  const box = sandbox();
  const engines: { dispose(): Promise<void> }[] = [];
  t.after(async () => {
    for (const e of engines) await e.dispose();
    await box.cleanup();
  });
  const open = async (options: Parameters<typeof openEngine>[1] = {}) => {
    const engine = await openEngine(box, options);
    engines.push(engine);
    return engine;
  };
  return { box, open };
}

test('a job continues after the engine is closed mid-transfer and opened again, from the bytes on disk', async (t) => {
  const { box, open } = tracked(t);
  const first = await open();
  const job = await startJob(first, box, [{ url: server.url('/slow'), name: 'slow.bin', sha256: sha256(slowBody) }], {
    displayName: 'survivor',
    minimumRetryDelay: 0,
    autoComplete: true,
  });
  await waitForState(first, job.id, JobState.TRANSFERRING);
  await waitUntil('the first bytes', () => first.getJob(job.id)!.files[0].bytesTransferred > 0);
  await first.dispose();
  const onDisk = listNames(box.dest);
  assert.equal(onDisk.length, 1);
  assert.match(onDisk[0], /\.mddownload$/);

  const before = server.requestsFor('/slow').length;
  const second = await open();
  assert.equal(second.getJob(job.id)?.displayName, 'survivor');
  await waitForState(second, job.id, JobState.ACKNOWLEDGED);
  assert.equal(sha256(readFileSync(path.join(box.dest, 'slow.bin'))), sha256(slowBody));
  assert.deepEqual(listNames(box.dest), ['slow.bin']);
  const resumed = server.requestsFor('/slow')[before];
  assert.match(String(resumed.headers['range']), /^bytes=[1-9]\d*-$/, 'the second engine asked only for the rest');
});

test('a corrupt job file and one from a newer version are reported and kept; every other job loads and runs', async (t) => {
  const { box, open } = tracked(t);
  const first = await open();
  const good = await first.createJob({ displayName: 'good', minimumRetryDelay: 0 });
  await first.addFile(good.id, { remoteUrl: server.url('/small'), localPath: path.join(box.dest, 'good.bin') });
  const broken = await first.createJob({ displayName: 'broken' });
  const future = await first.createJob({ displayName: 'future' });
  await first.dispose();

  const brokenFile = path.join(jobsFolder(box.store), `${broken.id}.json`);
  const text = readFileSync(brokenFile, 'utf8');
  writeFileSync(brokenFile, text.slice(0, Math.floor(text.length / 2)));
  const futureFile = path.join(jobsFolder(box.store), `${future.id}.json`);
  writeFileSync(futureFile, JSON.stringify({ version: 99, job: { id: future.id, shape: 'unknown' } }));
  writeFileSync(path.join(jobsFolder(box.store), 'not-a-job.json'), '\u0000\u0001garbage');

  const logged: string[] = [];
  const second = await open({ log: (level, message) => level === 'error' && logged.push(message) });
  const problems = second.storeProblems;
  assert.equal(problems.length, 3);
  const unreadable = problems.filter((p) => p.code === Codes.MD_E_STORE_UNREADABLE);
  assert.equal(unreadable.length, 2);
  const brokenProblem = unreadable.find((p) => p.file === brokenFile)!;
  assert.match(brokenProblem.message, /could not be read .*not valid JSON.*set aside as .*corrupt-/);
  assert.ok(brokenProblem.movedTo && existsSync(brokenProblem.movedTo), 'the unreadable file is kept aside');
  assert.equal(readFileSync(brokenProblem.movedTo, 'utf8'), text.slice(0, Math.floor(text.length / 2)), 'nothing of it is lost');
  assert.ok(!existsSync(brokenFile));
  const tooNew = problems.find((p) => p.code === Codes.MD_E_STORE_TOO_NEW)!;
  assert.equal(tooNew.file, futureFile);
  assert.ok(existsSync(futureFile), "a newer version's file is left where that version will look for it");
  assert.match(tooNew.message, /newer version/);
  assert.equal(logged.length, 3, 'each problem is logged');

  assert.deepEqual(
    second.listJobs().map((j) => j.displayName),
    ['good'],
  );
  await second.resume(good.id);
  await waitForState(second, good.id, JobState.TRANSFERRED);
});

test('the store is replaced atomically: every read during a transfer parses, and progress writes are coalesced', async (t) => {
  const { box, open } = tracked(t);
  const engine = await open({ storeCoalesceMs: 200, progressIntervalMs: 20 });
  const job = await engine.createJob({ displayName: 'watched' });
  await engine.addFile(job.id, { remoteUrl: server.url('/slow'), localPath: path.join(box.dest, 'slow.bin') });
  const file = path.join(jobsFolder(box.store), `${job.id}.json`);
  let writes = 0;
  const watcher = watch(jobsFolder(box.store), (event, name) => {
    if (event === 'rename' && name === `${job.id}.json`) writes++;
  });
  t.after(() => watcher.close());
  let progressEvents = 0;
  engine.onDidChangeJob((e) => e.kind === 'progress' && progressEvents++);
  let reads = 0;
  const reader = setInterval(() => {
    parseStoredJob(readFileSync(file, 'utf8'), job.id);
    reads++;
  }, 5);
  t.after(() => clearInterval(reader));
  await engine.resume(job.id);
  await waitForState(engine, job.id, JobState.TRANSFERRED);
  clearInterval(reader);
  assert.ok(reads > 50, `read the store ${reads} times while it was being written`);
  assert.ok(progressEvents > writes, `progress (${progressEvents} events) is written less often (${writes} writes)`);
  // Once the writes in flight are done (dispose flushes the store), none of their temp files is left.
  await engine.dispose();
  assert.deepEqual(
    readdirSync(jobsFolder(box.store)).filter((n) => !n.endsWith('.json')),
    [],
    'no temp files of the store are left',
  );
});

test('a state change is written at once, not after the coalescing delay', async (t) => {
  const { box, open } = tracked(t);
  // Progress waits 10 minutes to be written, far past the wait below: only a write made at once is seen in time.
  const engine = await open({ storeCoalesceMs: 10 * 60_000 });
  const job = await engine.createJob({ displayName: 'state change' });
  await engine.addFile(job.id, { remoteUrl: server.url('/small'), localPath: path.join(box.dest, 'small.bin') });
  const file = path.join(jobsFolder(box.store), `${job.id}.json`);
  await engine.resume(job.id);
  await waitForState(engine, job.id, JobState.TRANSFERRED);
  await waitUntil(
    'the state change to be on disk before the coalescing delay',
    () => parseStoredJob(readFileSync(file, 'utf8'), job.id).state === JobState.TRANSFERRED,
  );
});

test('a large job is written less often: the coalescing delay grows with what serializing it costs, up to 5 s', () => {
  assert.equal(coalescingDelay(250, 0), 250, 'a job not yet written waits the configured delay');
  assert.equal(coalescingDelay(250, 0.3), 250, 'a small job too');
  assert.equal(coalescingDelay(250, 4.2), 420, '1,000 files (~4 ms to serialize): ~100 times that');
  assert.equal(coalescingDelay(250, 40), 4000);
  assert.equal(coalescingDelay(250, 200), 5000, 'never more than 5 s of progress at risk');
  assert.equal(coalescingDelay(20, 0.1), 20, 'a shorter configured delay stays');
  assert.equal(coalescingDelay(8000, 200), 8000, 'a longer configured delay stays');
});

test('an engine that does not resume stored jobs shows them without running them', async (t) => {
  const { box, open } = tracked(t);
  const first = await open();
  const job = await startJob(first, box, [{ url: server.url('/slow'), name: 'slow.bin' }]);
  await waitForState(first, job.id, JobState.TRANSFERRING);
  await first.dispose();
  const before = server.requestsFor('/slow').length;
  const viewer = await open({ resumeStoredJobs: false });
  assert.equal(viewer.listJobs().length, 1);
  await letTimePass(200); // on purpose: a resumed job would have sent its request by now
  assert.equal(server.requestsFor('/slow').length, before, 'no request was made');
});

test('resumeStoredJobs as a function continues the stored jobs it accepts, from their bytes, and leaves the others', async (t) => {
  const { box, open } = tracked(t);
  const first = await open();
  const kept = await startJob(first, box, [{ url: server.url('/slow'), name: 'kept.bin', sha256: sha256(slowBody) }], {
    displayName: 'kept',
    autoComplete: true,
  });
  server.route('/left', { body: slowBody, bytesPerSecond: 600_000 });
  const left = await startJob(first, box, [{ url: server.url('/left'), name: 'left.bin' }], { displayName: 'left' });
  await waitForState(first, kept.id, JobState.TRANSFERRING);
  await waitForState(first, left.id, JobState.TRANSFERRING);
  await first.dispose();
  const leftRequests = server.requestsFor('/left').length;
  const asked: string[] = [];
  const second = await open({ resumeStoredJobs: (job) => (asked.push(job.displayName), job.displayName === 'kept') });
  assert.deepEqual(asked.sort(), ['kept', 'left'], 'asked once per stored job, with its record');
  await waitForState(second, kept.id, JobState.ACKNOWLEDGED);
  assert.equal(sha256(readFileSync(path.join(box.dest, 'kept.bin'))), sha256(slowBody));
  assert.ok(
    server.requestsFor('/slow').some((r) => /^bytes=[1-9]\d*-$/.test(String(r.headers['range']))),
    'the accepted job continued from its bytes on disk',
  );
  assert.equal(second.getJob(left.id)?.state, JobState.TRANSFERRING, 'the other is shown as it was stored');
  assert.equal(server.requestsFor('/left').length, leftRequests, 'and no request was made for it');
  await second.dispose();
  const reopened = await open();
  await waitForState(reopened, left.id, JobState.TRANSFERRED);
});

test('finished jobs stay readable for the retention time, then are dropped from the store', async (t) => {
  const { box, open } = tracked(t);
  const first = await open();
  const job = await startJob(first, box, [{ url: server.url('/small'), name: 'small.bin' }], { displayName: 'done', autoComplete: true });
  await waitForState(first, job.id, JobState.ACKNOWLEDGED);
  await first.dispose();
  const kept = await open();
  assert.equal(kept.getJob(job.id)?.state, JobState.ACKNOWLEDGED);
  await kept.dispose();
  await letTimePass(20); // past the 1 ms retention
  const purged = await open({ finalJobRetentionMs: 1 });
  assert.equal(purged.getJob(job.id), undefined);
  assert.deepEqual(readdirSync(jobsFolder(box.store)), []);
});

/** A suspended job with one file as the engine writes it, and the store's other job (which must keep working). */
async function storedPair(t: { after: (fn: () => Promise<void>) => void }) {
  const { box, open } = tracked(t);
  const first = await open();
  const other = await first.createJob({ displayName: 'other', minimumRetryDelay: 0 });
  await first.addFile(other.id, { remoteUrl: server.url('/small'), localPath: path.join(box.dest, 'other.bin') });
  const target = await first.createJob({ displayName: 'target' });
  await first.addFile(target.id, { remoteUrl: server.url('/small'), localPath: path.join(box.dest, 'target.bin') });
  await first.dispose();
  const file = path.join(jobsFolder(box.store), `${target.id}.json`);
  const stored = JSON.parse(readFileSync(file, 'utf8')) as {
    version: number;
    job: Record<string, unknown> & { files: Record<string, unknown>[] };
  };
  return { box, open, other, target, file, stored };
}

test('a job file nested 5,000 levels deep is set aside; list, info and every other job keep working', async (t) => {
  const { open, other, target, file } = await storedPair(t);
  const text = readFileSync(file, 'utf8').replace('"customHeaders": {}', `"customHeaders": {"X": ${'['.repeat(5000)}${']'.repeat(5000)}}`);
  assert.ok(text.length > 10_000 && text.length < 12_000, 'about 10 KB');
  writeFileSync(file, text);
  const engine = await open();
  // Every reading verb must work (today each throws RangeError: Maximum call stack size exceeded).
  assert.deepEqual(
    engine.listJobs().map((j) => j.id),
    [other.id],
  );
  assert.deepEqual(
    engine.listAllJobs().map((j) => j.id),
    [other.id],
  );
  assert.equal(engine.getJob(target.id), undefined, 'the hostile job is not loaded');
  const problem = engine.storeProblems.find((p) => p.file === file);
  assert.equal(problem?.code, Codes.MD_E_STORE_UNREADABLE);
  assert.match(problem!.message, /nested \d+ levels deep.*set aside as .*corrupt-/);
  assert.ok(!existsSync(file) && existsSync(problem!.movedTo!), 'set aside, kept for inspection');
  await engine.resume(other.id);
  await waitForState(engine, other.id, JobState.TRANSFERRED);
});

test("a stored temp path outside the file's own folder is refused: the job is set aside and cancel deletes nothing", async (t) => {
  const { box, open, other, target, file, stored } = await storedPair(t);
  const victim = path.join(box.root, 'precious.txt');
  writeFileSync(victim, 'keep me');
  stored.job.files[0].tempPath = victim;
  writeFileSync(file, JSON.stringify(stored));
  const engine = await open();
  // Were the job loaded, cancel would delete the victim (it deletes every temp path the job names).
  if (engine.getJob(target.id)) await engine.cancel(target.id);
  assert.equal(readFileSync(victim, 'utf8'), 'keep me', 'the file the temp path named is untouched');
  assert.equal(engine.getJob(target.id), undefined);
  assert.match(
    engine.storeProblems.find((p) => p.file === file)?.message ?? '',
    /temp path is not the job's hidden temp file beside its destination/,
  );
  assert.ok(engine.getJob(other.id));
});

test('every field of a stored job is checked: each damaged or hostile record is set aside, never acted on', async (t) => {
  const { box, open, other, target, file, stored } = await storedPair(t);
  const dest = box.dest;
  type Job = typeof stored.job;
  const cases: [string, (job: Job, f: Job['files'][0]) => void, RegExp][] = [
    ['temp path in the same folder, another name', (_, f) => (f.tempPath = path.join(dest, '.target.bin.mddownload')), /temp path/],
    ['temp path of another job', (_, f) => (f.tempPath = String(f.tempPath).replace(/\.[0-9a-f]{8}-0\./, '.00000000-0.')), /temp path/],
    ['relative local path', (_, f) => (f.localPath = 'target.bin'), /local path is not an absolute path/],
    ['".." in the local path', (_, f) => (f.localPath = `${dest}/../escaped/target.bin`), /local path contains "\.\."/],
    ['a root as local path', (_, f) => (f.localPath = '/'), /local path/],
    ['absurd security flags', (job) => (job.securityFlags = 0xffffffff), /security flags/],
    ['negative security flags', (job) => (job.securityFlags = -1), /security flags/],
    ['state out of range', (job) => (job.state = 42), /unknown state/],
    ['priority out of range', (job) => (job.priority = 7), /unknown priority/],
    ['negative byte count', (_, f) => (f.bytesTransferred = -5), /bytesTransferred/],
    ['fractional byte count', (_, f) => (f.bytesTotal = 10.5), /bytesTotal/],
    ['a string as retry delay', (job) => (job.minimumRetryDelay = '5'), /retry delay/],
    ['a display name of 100,000 characters', (job) => (job.displayName = 'x'.repeat(100_000)), /display name is 100000 characters long/],
    ['a file: URL', (_, f) => (f.remoteUrl = 'file:///etc/passwd'), /only http and https/],
    ['a javascript: final URL', (_, f) => (f.finalUrl = 'javascript:alert(1)'), /only http and https/],
    ['credentials in the URL', (_, f) => (f.remoteUrl = server.url('/small').replace('http://', 'http://u:p@')), /credentials/],
    ['header injection', (job) => (job.customHeaders = { 'X-A': 'a\r\nHost: evil' }), /custom headers/],
    ['an object as header value', (job) => (job.customHeaders = { 'X-A': { deep: true } }), /custom headers/],
    ['line break in an ETag', (_, f) => (f.etag = '"a"\r\nX-Evil: 1'), /etag contains control characters/],
    ['unknown validator source', (job) => (job.validator = 'evil'), /validator source/],
    [
      'error naming a file the job lacks',
      (job) => (job.error = { context: 5, code: 0x80190194, description: 'x', fileIndex: 9, time: new Date().toISOString() }),
      /error names a file/,
    ],
    ['a malformed sha256', (_, f) => (f.sha256 = 'zz'), /sha256/],
    ['an engine-owned header among the write-only names', (job) => (job.writeOnlyHeaderNames = ['Range']), /write-only header names/],
    [
      'a creation time that is no date',
      (job) => ((job.times as Record<string, unknown>).created = 'yesterday'),
      /creation time is not a date/,
    ],
  ];
  const original = JSON.stringify(stored);
  const failures: string[] = [];
  for (const [name, damage, reason] of cases) {
    const copy = JSON.parse(original) as typeof stored;
    damage(copy.job, copy.job.files[0]);
    writeFileSync(file, JSON.stringify(copy));
    const engine = await open();
    const problem = engine.storeProblems.find((p) => p.file === file);
    if (engine.getJob(target.id)) failures.push(`${name}: loaded`);
    else if (!problem || !reason.test(problem.message)) failures.push(`${name}: ${problem?.message ?? 'no problem reported'}`);
    if (!engine.getJob(other.id)) failures.push(`${name}: the other job did not load`);
    await engine.dispose();
    for (const n of readdirSync(jobsFolder(box.store))) if (n.includes('.corrupt-')) rmSync(path.join(jobsFolder(box.store), n));
  }
  assert.deepEqual(failures, []);
  // The record as the engine wrote it still loads, field for field.
  assert.deepEqual(parseStoredJob(original, target.id), stored.job);
  writeFileSync(file, original);
  const engine = await open();
  assert.equal(engine.getJob(target.id)?.displayName, 'target');
});

test('a stored job with every optional field loads exactly as written', () => {
  const id = '0a1b2c3d-0000-4000-8000-000000000001';
  const localPath = path.resolve('/tmp/md-dest/file.bin');
  const job = {
    id,
    displayName: 'all fields',
    description: 'd',
    priority: 1,
    owner: 'cli',
    state: 5,
    files: [
      {
        remoteUrl: 'https://example.test/file.bin',
        localPath,
        tempPath: path.join(path.dirname(localPath), '.file.bin.0a1b2c3d-0.mddownload'),
        bytesTotal: 100,
        bytesTransferred: 40,
        transferred: false,
        sha256: 'a'.repeat(64),
        etag: '"abc"',
        lastModified: 'Wed, 21 Oct 2015 07:28:00 GMT',
        finalUrl: 'https://mirror.example.test/file.bin',
        segments: [
          { start: 0, end: 50, position: 40 },
          { start: 50, end: 100, position: 50 },
        ],
      },
    ],
    times: { created: '2026-01-01T00:00:00.000Z', modified: '2026-01-01T00:00:01.000Z', transferCompleted: '2026-01-01T00:00:02.000Z' },
    minimumRetryDelay: 0.5,
    noProgressTimeout: 600,
    securityFlags: 0x10e,
    customHeaders: { 'X-Trace': 'on' },
    writeOnlyHeaderNames: ['Authorization'],
    validator: 'workspace',
    error: { context: 8, code: 0x80200074, description: 'no validator', fileIndex: 0, time: '2026-01-01T00:00:01.000Z' },
    retryAt: 1767225601000.5,
    lastProgressAt: 1767225600000,
    autoComplete: true,
  };
  assert.deepEqual(parseStoredJob(JSON.stringify({ version: 1, job }, null, 1), id), job);
});

test('the read-only view of a store another process runs skips a hostile job file and shows every other job', async (t) => {
  const { other, target, file } = await storedPair(t);
  writeFileSync(
    file,
    readFileSync(file, 'utf8').replace('"customHeaders": {}', `"customHeaders": {"X": ${'['.repeat(5000)}${']'.repeat(5000)}}`),
  );
  const view = new StoreView(path.dirname(path.dirname(file)), 20);
  t.after(() => view.dispose());
  const created: string[] = [];
  view.onDidChangeJob((e) => e.kind === 'created' && created.push(e.job.id));
  await view.start();
  assert.deepEqual(
    view.records().map((r) => r.id),
    [other.id],
  );
  assert.equal(view.get(target.id), undefined);
  assert.deepEqual(created, [other.id]);
  assert.ok(existsSync(file), "the view never moves a file (setting it aside is the holder's business)");
});
