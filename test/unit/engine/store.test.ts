// Persistence: jobs survive the engine closing and continue from their bytes; the store is replaced atomically;
// a corrupt or too-new job file is reported and kept aside while every other job loads.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, watch, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { Codes } from '../../../src/core/errors';
import { JobState } from '../../../src/core/jobs/model';
import { parseStoredJob } from '../../../src/core/store/job-format';
import { listNames, openEngine, sandbox, startJob, waitForState } from '../../support/engine';
import { sha256, startServer, testBytes, type TestServer } from '../../support/servers';

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
  await new Promise((r) => setTimeout(r, 300));
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
  assert.ok(existsSync(futureFile), 'a newer version\'s file is left where that version will look for it');
  assert.match(tooNew.message, /newer version/);
  assert.equal(logged.length, 3, 'each problem is logged');

  assert.deepEqual(second.listJobs().map((j) => j.displayName), ['good']);
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
  // A state change is written at once, not after the coalescing delay (200 ms here).
  const deadline = Date.now() + 150;
  while (parseStoredJob(readFileSync(file, 'utf8'), job.id).state !== JobState.TRANSFERRED && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.equal(parseStoredJob(readFileSync(file, 'utf8'), job.id).state, JobState.TRANSFERRED, 'the state change is on disk before the coalescing delay');
  // Once the writes in flight are done (dispose flushes the store), none of their temp files is left.
  await engine.dispose();
  assert.deepEqual(readdirSync(jobsFolder(box.store)).filter((n) => !n.endsWith('.json')), [], 'no temp files of the store are left');
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
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(server.requestsFor('/slow').length, before, 'no request was made');
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
  await new Promise((r) => setTimeout(r, 20));
  const purged = await open({ finalJobRetentionMs: 1 });
  assert.equal(purged.getJob(job.id), undefined);
  assert.deepEqual(readdirSync(jobsFolder(box.store)), []);
});
