// A holder that can no longer serve (issue 15): a holder whose window is gone lets go of the store, and a follower
// whose forwarded command the holder does not take takes the store over. Fencing: the old holder's engine has
// stopped before the new one opens, so two engines never run the store's jobs at once.
import assert from 'node:assert/strict';
import { promises as fs, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { Codes } from '../../../../src/core/errors';
import { JobEngine } from '../../../../src/core/jobs/engine';
import { JobState, type DownloadEngine } from '../../../../src/core/model/job';
import { StoreLease } from '../../../../src/core/store/lease';
import { LeasedEngine } from '../../../../src/core/store/leased-engine';
import { WindowLiveness } from '../../../../src/ui/windowLiveness';
import { FAST, sandboxFor } from '../../../support/engine';
import { startServer, testBytes } from '../../../support/servers';
import { waitUntil, within } from '../../../support/wait';

function roleBecomes(engine: LeasedEngine, role: 'holder' | 'follower'): Promise<void> {
  return new Promise((resolve) => {
    if (engine.role === role) return resolve();
    const sub = engine.onDidChangeRole((r) => r === role && (sub.dispose(), resolve()));
  });
}

function stateBecomes(engine: DownloadEngine, jobId: string, state: JobState): Promise<void> {
  return new Promise((resolve) => {
    const check = () => engine.getJob(jobId)?.state === state && (sub.dispose(), resolve());
    const sub = engine.onDidChangeJob(check);
    check();
  });
}

/** A JobEngine whose opening and closing are written to `events`, and whose `stuckVerb` never answers. */
function recordedEngine(store: string, name: string, events: string[], stuckVerb?: string): () => Promise<JobEngine> {
  return async () => {
    events.push(`${name} opens`);
    const engine = await JobEngine.open({ storeDir: store, ...FAST });
    return new Proxy(engine, {
      get(target, prop) {
        if (prop === stuckVerb) return () => new Promise(() => undefined);
        if (prop === 'dispose') {
          return async () => {
            await target.dispose();
            events.push(`${name} stopped`);
          };
        }
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  };
}

/** Resolves once the lease file's heartbeat is later than `time` (its writer has renewed it since). */
function heartbeatAfter(file: string, time: number, ms: number, what: string): Promise<boolean> {
  return waitUntil(
    what,
    async () => {
      const text = await fs.readFile(file, 'utf8').catch(() => '{}');
      return ((JSON.parse(text) as { heartbeat?: number }).heartbeat ?? 0) > time;
    },
    { timeoutMs: ms, intervalMs: 20 },
  );
}

const leaseFiles = (store: string) => readdirSync(store).filter((n) => /^lease-\d+\.json$/.test(n));

test('takeOver of a live holder: the taker runs nothing until the old holder says it stopped', async (t) => {
  const box = sandboxFor(t);
  // Heartbeats that never expire during the test: only the old holder's word can hand the store over. The old
  // holder looks at the lease less often than the taker, as a busy holder may.
  const holder = new StoreLease(box.store, { ttlMs: 60_000, renewMs: 1000 });
  const taker = new StoreLease(box.store, { ttlMs: 60_000, renewMs: 50 });
  const third = new StoreLease(box.store, { ttlMs: 60_000 });
  box.later(async () => {
    await holder.dispose();
    await taker.dispose();
    await third.dispose();
  });
  assert.equal(await holder.tryAcquire(), true);
  const lost = new Promise((resolve) => holder.onDidLose(resolve));
  const acquired = new Promise((resolve) => taker.onDidAcquire(resolve));
  assert.equal(await taker.takeOver(), true);
  assert.equal(await third.takeOver(), false, 'a second taker loses to the first');
  await within(lost, 5000, 'the old holder to see it lost the store');
  assert.equal(holder.held, false);
  const lostAt = Date.now();
  await heartbeatAfter(path.join(box.store, 'lease-2.json'), lostAt, 5000, 'the taker to look at the store again');
  assert.equal(taker.held, false, 'the taker waits: the old holder has not said it stopped');
  assert.equal(await third.tryAcquire(), false, 'nobody else takes the store meanwhile');
  await holder.confirmStopped();
  await within(acquired, 5000, 'the taker to hold the store');
  assert.equal(taker.held, true);
  assert.equal((await third.current())?.holder, taker.id);
  assert.deepEqual(leaseFiles(box.store), ['lease-2.json'], 'the old lease file is removed once handed over');
});

test('takeOver of a holder that never says it stopped: the store is handed over when its heartbeat expires', async (t) => {
  const box = sandboxFor(t);
  const holder = new StoreLease(box.store, { ttlMs: 600, renewMs: 300 });
  const taker = new StoreLease(box.store, { ttlMs: 60_000, renewMs: 50 });
  box.later(async () => {
    await holder.dispose();
    await taker.dispose();
  });
  assert.equal(await holder.tryAcquire(), true);
  let lostFirst = false;
  holder.onDidLose(() => (lostFirst = true));
  const acquired = new Promise<boolean>((resolve) => taker.onDidAcquire(() => resolve(lostFirst)));
  assert.equal(await taker.takeOver(), true);
  assert.equal(await within(acquired, 10_000, 'the hand-over'), true, 'the old holder had seen its loss (and stopped renewing) first');
});

test('LeasedEngine: a holder whose window stops answering lets go at once; the other window takes over and finishes the job', async (t) => {
  const box = sandboxFor(t);
  const server = await startServer();
  box.later(() => server.close());
  const body = testBytes(400_000, 31);
  server.route('/slow.bin', { body, bytesPerSecond: 200_000 });
  let windowAAnswers = true;
  const unanswered: (() => void)[] = [];
  // The real WindowLiveness, over a round trip that stops answering as a lost code-server tab does (and is
  // answered late when the tab reconnects).
  const windowA = new WindowLiveness(
    () => (windowAAnswers ? Promise.resolve() : new Promise<void>((resolve) => unanswered.push(resolve))),
    { intervalMs: 50, timeoutMs: 300 },
  );
  const windowB = new WindowLiveness(() => Promise.resolve(), { intervalMs: 50, timeoutMs: 300 });
  box.later(() => {
    windowA.dispose();
    windowB.dispose();
  });
  const events: string[] = [];
  // A heartbeat that cannot expire during the test: only letting go can hand the store over.
  const lease = { ttlMs: 60_000, renewMs: 100 };
  const a = await LeasedEngine.open({
    storeDir: box.store,
    open: recordedEngine(box.store, 'A', events),
    lease,
    pollMs: 50,
    liveness: windowA,
  });
  const b = await LeasedEngine.open({
    storeDir: box.store,
    open: recordedEngine(box.store, 'B', events),
    lease,
    pollMs: 50,
    liveness: windowB,
  });
  box.later(async () => {
    await a.dispose();
    await b.dispose();
  });
  assert.equal(a.role, 'holder');
  assert.equal(b.role, 'follower');
  const job = await a.createJob({ displayName: 'slow', minimumRetryDelay: 0 });
  await a.addFile(job.id, { remoteUrl: server.url('/slow.bin'), localPath: path.join(box.dest, 'slow.bin') });
  await a.resume(job.id);
  await within(stateBecomes(a, job.id, JobState.TRANSFERRING), 10_000, 'the transfer to start in A');

  windowAAnswers = false;
  await within(roleBecomes(b, 'holder'), 10_000, 'window B to take the store');
  assert.equal(a.role, 'follower');
  assert.equal(a.lease.held, false);
  assert.deepEqual(events, ['A opens', 'A stopped', 'B opens'], "A's engine stopped before B's opened");
  await within(stateBecomes(b, job.id, JobState.TRANSFERRED), 20_000, 'B to finish the job');
  await b.complete(job.id);
  assert.deepEqual(readFileSync(path.join(box.dest, 'slow.bin')), body);

  // While its window is gone, A does not take the store back, even when it is free; once it answers, it does.
  const aHolds = roleBecomes(a, 'holder');
  await b.dispose();
  assert.equal(await a.lease.tryAcquire(), false, 'a window that is gone takes no lease');
  windowAAnswers = true;
  for (const answer of unanswered) answer();
  await within(aHolds, 10_000, 'A to take the store once its window answers again');
});

test('LeasedEngine: a holder that takes no commands (stuck in a call that never answers) is taken over; the command runs in the new holder', async (t) => {
  const box = sandboxFor(t);
  const server = await startServer();
  box.later(() => server.close());
  const body = testBytes(300_000, 52);
  server.route('/a.bin', { body, bytesPerSecond: 300_000 });
  server.route('/b.bin', { body });
  const events: string[] = [];
  // A's heartbeat goes on and cannot expire during the test: A is alive, it only takes no work. A looks at the
  // lease less often than B, so B would open its engine first if it did not wait for A to stop.
  const a = await LeasedEngine.open({
    storeDir: box.store,
    open: recordedEngine(box.store, 'A', events, 'suspend'),
    lease: { ttlMs: 60_000, renewMs: 1000 },
    pollMs: 50,
  });
  const b = await LeasedEngine.open({
    storeDir: box.store,
    open: recordedEngine(box.store, 'B', events),
    lease: { ttlMs: 60_000, renewMs: 50 },
    pollMs: 50,
    claimTimeoutMs: 500,
    forwardTimeoutMs: 1500,
  });
  box.later(async () => {
    await a.dispose();
    await b.dispose();
  });
  const job = await a.createJob({ displayName: 'a', minimumRetryDelay: 0 });
  await a.addFile(job.id, { remoteUrl: server.url('/a.bin'), localPath: path.join(box.dest, 'a.bin') });
  await a.resume(job.id);

  // A takes this one and never answers (as a host whose SecretStorage never answers): its inbox is stuck behind it.
  await assert.rejects(
    b.suspend(job.id),
    (err: { code: number; message: string }) => err.code === Codes.MD_E_STORE_IN_USE && /did not answer/.test(err.message),
  );
  // This one A never takes: B withdraws it, takes the store over once A stopped, and runs it itself.
  const created = await within(b.createJob({ displayName: 'b', minimumRetryDelay: 0 }), 15_000, 'the command to run after the take-over');
  assert.equal(b.role, 'holder');
  assert.equal(a.role, 'follower');
  assert.deepEqual(events, ['A opens', 'A stopped', 'B opens'], "A's engine stopped before B's opened");
  assert.equal(b.listAllJobs().filter((j) => j.displayName === 'b').length, 1, 'the command ran once');
  assert.deepEqual(readdirSync(path.join(box.store, 'commands')), [], 'no request is left behind');

  await b.addFile(created.id, { remoteUrl: server.url('/b.bin'), localPath: path.join(box.dest, 'b.bin') });
  await b.resume(created.id);
  await b.resume(job.id).catch(() => undefined);
  await within(
    Promise.all([stateBecomes(b, job.id, JobState.TRANSFERRED), stateBecomes(b, created.id, JobState.TRANSFERRED)]),
    20_000,
    'both jobs transferred by B',
  );
  await b.complete(job.id);
  await b.complete(created.id);
  assert.deepEqual(readFileSync(path.join(box.dest, 'a.bin')), body);
  assert.deepEqual(readFileSync(path.join(box.dest, 'b.bin')), body);
});
