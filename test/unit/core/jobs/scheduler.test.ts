// Scheduling: higher priority first (and preempting), equal priorities taking turns in time slices, a limit on
// concurrent jobs. A preempted job goes back to QUEUED and keeps its bytes.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { JobPriority, JobState } from '../../../../src/core/model/job';
import { pickRunnable, shouldRotate } from '../../../../src/core/jobs/scheduler';
import { engineForTest, startJob, waitForState } from '../../../support/engine';
import { startServer, testBytes, type TestServer } from '../../../support/servers';
import { letTimePass, waitUntil } from '../../../support/wait';

let server: TestServer;
before(async () => {
  server = await startServer();
  server.route('/small', { body: testBytes(10_000, 51) });
  for (let i = 0; i < 6; i++) server.route(`/slow/${i}`, { body: testBytes(300_000, 60 + i), bytesPerSecond: 400_000 });
});
after(() => server.close());

const running = (s: JobState) => s === JobState.CONNECTING || s === JobState.TRANSFERRING;

test('pickRunnable: priority first, then place in line, limited to the slots', () => {
  const picked = pickRunnable(
    [
      { id: 'low', priority: JobPriority.LOW, ticket: 1 },
      { id: 'normal-late', priority: JobPriority.NORMAL, ticket: 5 },
      { id: 'fg', priority: JobPriority.FOREGROUND, ticket: 9 },
      { id: 'normal-early', priority: JobPriority.NORMAL, ticket: 2 },
    ],
    3,
  );
  assert.deepEqual(picked, ['fg', 'normal-early', 'normal-late']);
  assert.equal(
    shouldRotate({ id: 'a', priority: JobPriority.NORMAL, ticket: 1 }, [{ id: 'b', priority: JobPriority.NORMAL, ticket: 2 }]),
    true,
  );
  assert.equal(
    shouldRotate({ id: 'a', priority: JobPriority.NORMAL, ticket: 1 }, [{ id: 'b', priority: JobPriority.LOW, ticket: 2 }]),
    false,
  );
});

test('a FOREGROUND job preempts a running LOW job, which waits in QUEUED with its bytes and finishes later', async (t) => {
  const { box, engine } = await engineForTest(t, { maxConcurrentJobs: 1 });
  const low = await startJob(engine, box, [{ url: server.url('/slow/0'), name: 'low.bin' }], {
    displayName: 'low',
    priority: JobPriority.LOW,
    minimumRetryDelay: 0,
  });
  await waitForState(engine, low.id, JobState.TRANSFERRING);
  await waitUntil('the LOW job has bytes', () => engine.getJob(low.id)!.files[0].bytesTransferred > 0);
  const finished: string[] = [];
  engine.onDidChangeJob((e) => {
    if (e.kind === 'state' && e.job.state === JobState.TRANSFERRED) finished.push(e.job.displayName);
  });
  const fg = await startJob(engine, box, [{ url: server.url('/small'), name: 'fg.bin' }], {
    displayName: 'fg',
    priority: JobPriority.FOREGROUND,
  });
  const preempted = await waitForState(engine, low.id, JobState.QUEUED);
  assert.ok(preempted.files[0].bytesTransferred > 0, 'the preempted job keeps its bytes');
  await waitForState(engine, fg.id, JobState.TRANSFERRED);
  await waitForState(engine, low.id, JobState.TRANSFERRED);
  assert.deepEqual(finished, ['fg', 'low']);
  const lowRequests = server.requestsFor('/slow/0');
  assert.match(String(lowRequests.at(-1)?.headers['range']), /^bytes=[1-9]\d*-$/, 'the LOW job continued from its bytes');
});

test('waiting jobs start in priority order when a slot frees', async (t) => {
  const { box, engine } = await engineForTest(t, { maxConcurrentJobs: 1 });
  const blocker = await startJob(engine, box, [{ url: server.url('/slow/1'), name: 'blocker.bin' }], {
    displayName: 'blocker',
    priority: JobPriority.FOREGROUND,
  });
  await waitForState(engine, blocker.id, JobState.TRANSFERRING);
  const started: string[] = [];
  engine.onDidChangeJob((e) => {
    if (e.kind === 'state' && e.job.state === JobState.CONNECTING) started.push(e.job.displayName);
  });
  const jobs = [];
  for (const [name, priority] of [
    ['low', JobPriority.LOW],
    ['normal', JobPriority.NORMAL],
    ['high', JobPriority.HIGH],
  ] as const) {
    jobs.push(await startJob(engine, box, [{ url: server.url('/small'), name: `${name}.bin` }], { displayName: name, priority }));
  }
  await engine.cancel(blocker.id);
  for (const j of jobs) await waitForState(engine, j.id, JobState.TRANSFERRED);
  assert.deepEqual(started, ['high', 'normal', 'low']);
});

test('equal priorities share one slot in turns (time slices): both advance before either finishes', async (t) => {
  const { box, engine } = await engineForTest(t, { maxConcurrentJobs: 1, timeSliceMs: 200 });
  const a = await startJob(engine, box, [{ url: server.url('/slow/2'), name: 'a.bin' }]);
  const b = await startJob(engine, box, [{ url: server.url('/slow/3'), name: 'b.bin' }]);
  const firstId = await new Promise<string>((resolve) => {
    engine.onDidChangeJob((e) => {
      if (e.kind === 'state' && e.job.state === JobState.TRANSFERRED) resolve(e.job.id);
    });
  });
  const other = engine.getJob(firstId === a.id ? b.id : a.id)!;
  assert.ok(other.files[0].bytesTransferred > 0, 'the other job got a turn before the first finished');
  await waitForState(engine, other.id, JobState.TRANSFERRED);
  assert.ok(
    server.requestsFor('/slow/2').length >= 2 && server.requestsFor('/slow/3').length >= 2,
    'each job was paused and continued at least once',
  );
});

test('never more jobs transfer at once than the limit; raising the limit starts waiting jobs', async (t) => {
  const { box, engine } = await engineForTest(t, { maxConcurrentJobs: 2, timeSliceMs: 60_000 });
  let active = 0;
  let peak = 0;
  const states = new Map<string, JobState>();
  engine.onDidChangeJob((e) => {
    if (e.kind !== 'state') return;
    states.set(e.job.id, e.job.state);
    active = [...states.values()].filter(running).length;
    peak = Math.max(peak, active);
  });
  const jobs = [];
  for (let i = 0; i < 4; i++) jobs.push(await startJob(engine, box, [{ url: server.url(`/slow/${i + 2}`), name: `j${i}.bin` }]));
  await waitForState(engine, jobs[0].id, JobState.TRANSFERRING);
  await waitUntil('two jobs running', () => active === 2);
  await letTimePass(150); // a third job would have started by now if the limit were not kept
  assert.equal(peak, 2);
  engine.setMaxConcurrentJobs(4);
  await waitForState(engine, jobs[3].id, [JobState.CONNECTING, JobState.TRANSFERRING, JobState.TRANSFERRED]);
  for (const j of jobs) await waitForState(engine, j.id, JobState.TRANSFERRED);
  assert.ok(peak > 2 && peak <= 4, `peak ${peak}`);
  assert.throws(() => engine.setMaxConcurrentJobs(0), /at least 1/);
});
