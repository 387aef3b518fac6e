// One engine per store: the lease (atomic take-over, expiry by heartbeat or a dead holder, loss detected by the
// old holder) and the LeasedEngine (a follower shows the store read-only, forwards verbs to the holder, takes
// over when the holder lets go). Two real processes with a SIGKILL are in the fault suite (test/faults/lease-faults.ts).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { Codes } from '../../../../src/core/errors';
import { JobEngine } from '../../../../src/core/jobs/engine';
import { JobState } from '../../../../src/core/model/job';
import { StoreLease } from '../../../../src/core/store/lease';
import { LeasedEngine } from '../../../../src/core/store/leased-engine';
import { runCli } from '../../../support/cli';
import { FAST, sandboxFor } from '../../../support/engine';
import { startServer, testBytes } from '../../../support/servers';
import { holderAndFollower, writeLeaseFile, writeLiveLease } from '../../../support/store';
import { letTimePass, waitUntil, within } from '../../../support/wait';

test('a free store is taken; a second lease on it is refused while the first renews', async (t) => {
  const box = sandboxFor(t);
  const first = new StoreLease(box.store, { ttlMs: 400, renewMs: 50 });
  const second = new StoreLease(box.store, { ttlMs: 400 });
  box.later(async () => {
    await first.dispose();
    await second.dispose();
  });
  assert.equal(await first.tryAcquire(), true);
  // Past the time-to-live on purpose: the lease must NOT lapse while its holder renews it.
  await letTimePass(700);
  assert.equal(await second.tryAcquire(), false, 'renewed heartbeats keep the lease alive past its time-to-live');
  const info = await second.current();
  assert.equal(info?.holder, first.id);
  assert.equal(info?.pid, process.pid);
  assert.equal(info?.host, hostname());
});

test('of many contenders for a free or expired lease exactly one wins', async (t) => {
  const box = sandboxFor(t);
  for (let round = 0; round < 5; round++) {
    const leases = Array.from({ length: 8 }, () => new StoreLease(box.store, { ttlMs: 60_000 }));
    const won = await Promise.all(leases.map((l) => l.tryAcquire()));
    assert.equal(won.filter(Boolean).length, 1, `round ${round}: ${won.filter(Boolean).length} winners`);
    // Let the winner's lease go stale without releasing it (as if its process froze).
    const winner = leases[won.indexOf(true)];
    const file = readdirSync(box.store).find((n) => /^lease-\d+\.json$/.test(n))!;
    const info = await winner.current();
    writeFileSync(path.join(box.store, file), JSON.stringify({ ...info, heartbeat: 0 }));
    for (const l of leases) await l.dispose().catch(() => undefined);
  }
  assert.equal(readdirSync(box.store).filter((n) => n.startsWith('lease-')).length, 1, 'older lease files are removed');
});

test('a lease whose process is dead (same host) is taken at once; a stale heartbeat also expires it', async (t) => {
  const box = sandboxFor(t);
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const lease = new StoreLease(box.store, { ttlMs: 60_000 });
  box.later(() => lease.dispose());
  writeLeaseFile(box.store, {
    generation: 3,
    holder: 'x',
    pid: Number(dead.stdout),
    host: hostname(),
    heartbeat: Date.now(),
    ttlMs: 60_000,
  });
  assert.equal(await lease.tryAcquire(), true);
  assert.equal((await lease.current())?.generation, 4);
  const other = new StoreLease(box.store, { ttlMs: 60_000 });
  box.later(() => other.dispose());
  writeLeaseFile(box.store, { generation: 9, holder: 'y', pid: 1, host: 'elsewhere', heartbeat: Date.now() - 61_000, ttlMs: 60_000 });
  assert.equal(await other.tryAcquire(), true, 'a heartbeat older than the time-to-live is expired, whatever the host');
});

test('a holder that finds a newer lease has lost it and says so', async (t) => {
  const box = sandboxFor(t);
  const holder = new StoreLease(box.store, { ttlMs: 300, renewMs: 50 });
  box.later(() => holder.dispose());
  assert.equal(await holder.tryAcquire(), true);
  const lost = new Promise((resolve) => holder.onDidLose(resolve));
  writeLiveLease(box.store, { generation: 2, holder: 'thief', heartbeat: Date.now() });
  await within(lost, 5000, 'the loss');
  assert.equal(holder.held, false);
});

test('LeasedEngine: the follower shows the jobs, forwards verbs, waits clearly, and takes over when the holder closes', async (t) => {
  const box = sandboxFor(t);
  const server = await startServer();
  box.later(() => server.close());
  const body = testBytes(300_000, 77);
  server.route('/a.bin', { body, bytesPerSecond: 1_000_000 });
  server.route('/b.bin', { body });
  const { holder, follower } = await holderAndFollower(box);
  assert.equal(holder.role, 'holder');
  assert.equal(follower.role, 'follower');

  const a = await holder.createJob({ displayName: 'a', minimumRetryDelay: 0 });
  await holder.addFile(a.id, { remoteUrl: server.url('/a.bin'), localPath: path.join(box.dest, 'a.bin') });
  // Waited for on the follower's list, not on an event: its poll may have read the store before addFile returned.
  await waitUntil('the follower to see the job and its file', () => follower.getJob(a.id)?.files.length === 1);
  assert.equal(follower.getJob(a.id)?.displayName, 'a', 'the follower re-reads the store');

  // A verb in the follower runs on the holder's engine.
  const b = await follower.createJob({ displayName: 'b', minimumRetryDelay: 0 });
  await follower.addFile(b.id, { remoteUrl: server.url('/b.bin'), localPath: path.join(box.dest, 'b.bin') });
  assert.equal(holder.getJob(b.id)?.files.length, 1, 'the job created in the follower lives in the holder');
  assert.equal(follower.getJob(b.id)?.files.length, 1);
  await assert.rejects(
    follower.resume('no-such-job'),
    (err: { code: number }) => err.code === Codes.BG_E_NOT_FOUND,
    'errors come back as they are',
  );
  await follower.resume(a.id);
  await follower.resume(b.id);

  // The holder closes: the follower takes over and finishes the jobs.
  const tookOver = new Promise((resolve) => follower.onDidChangeRole((r) => r === 'holder' && resolve(r)));
  await holder.dispose();
  await within(tookOver, 5000, 'the take-over');
  await within(
    new Promise<void>((resolve) => {
      const check = () => [a.id, b.id].every((id) => follower.getJob(id)?.state === JobState.TRANSFERRED) && resolve();
      follower.onDidChangeJob(check);
      check();
    }),
    15_000,
    'both jobs transferred by the new holder',
  );
});

test('LeasedEngine: addFiles in a follower runs on the holder, all or none, its refusal naming the entry', async (t) => {
  const box = sandboxFor(t);
  const { holder, follower } = await holderAndFollower(box);
  assert.equal(follower.role, 'follower');
  const job = await follower.createJob({ displayName: 'set' });
  const file = (name: string) => ({ remoteUrl: `http://127.0.0.1:9/${name}`, localPath: path.join(box.dest, name) });

  await assert.rejects(
    follower.addFiles(job.id, [file('a.bin'), { ...file('b.bin'), remoteUrl: 'ftp://x/b' }]),
    (err: { code: number; message: string }) => {
      assert.equal(err.code, Codes.BG_E_PROTOCOL_NOT_AVAILABLE);
      assert.match(err.message, /^files\[1\] was refused/);
      return true;
    },
  );
  assert.equal(holder.getJob(job.id)?.files.length, 0, 'the refused set added nothing on the holder');

  const added = await follower.addFiles(job.id, [file('a.bin'), file('b.bin'), file('c.bin')]);
  assert.deepEqual(
    added.files.map((f) => path.basename(f.localPath)),
    ['a.bin', 'b.bin', 'c.bin'],
  );
  assert.equal(holder.getJob(job.id)?.files.length, 3, 'the set was added by the holder');
  assert.equal(follower.getJob(job.id)?.files.length, 3, 'and the follower shows it at once');
});

test('LeasedEngine: a forwarded command nobody answers fails with MD_E_STORE_IN_USE naming the holder', async (t) => {
  const box = sandboxFor(t);
  // A lease held by a live process that runs no inbox (this test process under another id).
  writeLiveLease(box.store, { generation: 1, holder: 'z', label: 'VS Code window' });
  const follower = await LeasedEngine.open({
    storeDir: box.store,
    open: () => JobEngine.open({ storeDir: box.store, ...FAST }),
    pollMs: 50,
    forwardTimeoutMs: 300,
  });
  box.later(() => follower.dispose());
  assert.equal(follower.role, 'follower');
  await assert.rejects(follower.createJob({ displayName: 'x' }), (err: { code: number; message: string }) => {
    assert.equal(err.code, Codes.MD_E_STORE_IN_USE);
    assert.match(err.message, /VS Code window \(pid \d+ on .+\), which did not answer/);
    return true;
  });
  assert.deepEqual(readdirSync(path.join(box.store, 'commands')), [], 'the unanswered request is withdrawn');
});

test('CLI: run on a store another process holds stops with MD_E_STORE_IN_USE naming it; list still reads it', async (t) => {
  const box = sandboxFor(t);
  const holder = new StoreLease(box.store, { ttlMs: 60_000, label: 'the VS Code window of pid 1234' });
  box.later(() => holder.dispose());
  assert.equal(await holder.tryAcquire(), true);
  const run = await runCli(['run', '--store', box.store]);
  assert.equal(run.code, 75, `EX_TEMPFAIL: try again later (${run.stderr})`);
  assert.match(run.stderr, /MD_E_STORE_IN_USE/);
  assert.match(run.stderr, /in use by the VS Code window of pid 1234 \(pid \d+ on .+\)/);
  const list = await runCli(['list', '--store', box.store, '--json']);
  assert.equal(list.code, 0, list.stderr);
  await holder.dispose();
  const after = await runCli(['run', '--store', box.store]);
  assert.equal(after.code, 0, after.stderr);
});

test('the lease says whether its holder takes forwarded commands: a LeasedEngine does, a bare lease not', async (t) => {
  const box = sandboxFor(t);
  const look = new StoreLease(box.store);
  box.later(() => look.dispose());
  const cli = new StoreLease(box.store, { label: 'managed-downloads get' });
  assert.equal(await cli.tryAcquire(), true);
  assert.equal((await look.current())?.takesCommands, undefined, 'a CLI process runs no command queue');
  await cli.dispose();
  const window = await LeasedEngine.open({ storeDir: box.store, open: () => JobEngine.open({ storeDir: box.store, ...FAST }) });
  box.later(() => window.dispose());
  assert.equal(window.role, 'holder');
  assert.equal((await look.current())?.takesCommands, true, 'a window serves the queue while it holds the store');
  // A lease file whose field is not a boolean is not read as a holder's (as for every other field): no commands go to it.
  const [file] = readdirSync(box.store).filter((name) => /^lease-\d+\.json$/.test(name));
  const written = JSON.parse(readFileSync(path.join(box.store, file), 'utf8'));
  writeFileSync(path.join(box.store, file), JSON.stringify({ ...written, takesCommands: 'yes' }));
  const unreadable = await look.current();
  assert.notEqual(unreadable?.holder, window.lease.id);
  assert.equal(unreadable?.takesCommands, undefined);
});
