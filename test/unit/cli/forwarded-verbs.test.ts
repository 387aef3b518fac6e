// The CLI's job verbs on a store a VS Code window runs: instead of stopping with MD_E_STORE_IN_USE (exit 75), they
// are forwarded to the holder through the store's command queue and print what they print when the CLI runs the
// store itself. The holder is a real LeasedEngine over a real JobEngine in this process (as the extension opens
// it), the CLI real child processes, the files served by a real loopback server.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { Codes } from '../../../src/core/errors';
import { JobEngine } from '../../../src/core/jobs/engine';
import { JobPriority, JobState } from '../../../src/core/model/job';
import { commandsFolder } from '../../../src/core/store/command-queue';
import { LeasedEngine } from '../../../src/core/store/leased-engine';
import { ForwardedEngine } from '../../../src/cli/forwarded-engine';
import { collect, runCli, runCliJson, spawnCli } from '../../support/cli';
import { FAST, sandboxFor, type TestSandbox } from '../../support/engine';
import { sha256, startServer, testBytes, type TestServer } from '../../support/servers';
import { writeLiveLease } from '../../support/store';
import { waitUntil } from '../../support/wait';

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server.close());

/** The store held as the extension holds it: a LeasedEngine whose label names a VS Code window. */
async function windowHolder(box: TestSandbox): Promise<LeasedEngine> {
  const holder = await LeasedEngine.open({
    storeDir: box.store,
    open: () => JobEngine.open({ storeDir: box.store, owner: 'workspace', ...FAST }),
    lease: { label: `the VS Code window of pid ${process.pid}` },
    pollMs: 50,
  });
  box.later(() => holder.dispose());
  assert.equal(holder.role, 'holder');
  return holder;
}

test('create, add, set, resume and complete from the CLI reach the VS Code window that holds the store', async (t) => {
  const box = sandboxFor(t);
  const holder = await windowHolder(box);
  const body = testBytes(120_000, 61);
  server.route('/forwarded.bin', { body });
  const store = ['--store', box.store];

  const { out: created } = await runCliJson(['create', '--name', 'from a terminal', '--priority', 'low', ...store]);
  assert.equal(created.state, 'SUSPENDED');
  const id: string = created.id;
  assert.equal(holder.getJob(id)?.displayName, 'from a terminal', "the job is the holder's: its engine made it");
  assert.equal(holder.getJob(id)?.owner, 'cli');

  const target = path.join(box.dest, 'forwarded.bin');
  const { out: added } = await runCliJson([
    'add',
    id.slice(0, 8),
    server.url('/forwarded.bin'),
    '--dest',
    box.dest,
    '--sha256',
    sha256(body),
    ...store,
  ]);
  assert.deepEqual(
    added.files.map((f: { localPath: string }) => f.localPath),
    [target],
  );
  assert.deepEqual(
    holder.getJob(id)?.files.map((f) => [f.localPath, f.sha256]),
    [[target, sha256(body)]],
  );

  const { out: changed } = await runCliJson(['set', id, '--priority', 'high', '--description', 'changed from a terminal', ...store]);
  assert.deepEqual([changed.priority, changed.description], ['HIGH', 'changed from a terminal']);
  assert.deepEqual([holder.getJob(id)?.priority, holder.getJob(id)?.description], [JobPriority.HIGH, 'changed from a terminal']);

  // resume: the holder transfers; the CLI follows the job to rest and reports it as when it runs the job itself.
  const resumed = await runCli(['resume', id, ...store]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(resumed.stdout, target + '\n', 'the transferred file, as a resume that runs the job prints it');
  assert.match(resumed.stderr, /Resumed in the VS Code window of pid \d+/);
  assert.equal(holder.getJob(id)?.state, JobState.TRANSFERRED);
  assert.equal(server.requestsFor('/forwarded.bin').length, 1);
  assert.equal(holder.lease.held, true, 'the window kept the store all along');

  const { out: completed } = await runCliJson(['complete', id, ...store]);
  assert.deepEqual(
    { state: completed.state, codeName: completed.codeName, completed: completed.completed },
    { state: 'ACKNOWLEDGED', codeName: 'S_OK', completed: [target] },
  );
  assert.equal(sha256(readFileSync(target)), sha256(body));
  assert.equal(holder.getJob(id)?.state, JobState.ACKNOWLEDGED);

  // The holder's refusal comes back as the CLI's own error, with its exit code.
  const late = await runCli(['suspend', id, ...store]);
  assert.equal(late.code, 2, late.stderr);
  assert.match(late.stderr, /BG_E_INVALID_STATE .*Cannot suspend job .*it is ACKNOWLEDGED/);
  assert.deepEqual(readdirSync(commandsFolder(box.store)), [], 'every request was answered and its files removed');
});

test('suspend and cancel from the CLI stop a job the VS Code window is transferring', async (t) => {
  const box = sandboxFor(t);
  const holder = await windowHolder(box);
  const body = testBytes(2 * 1024 * 1024, 62);
  server.route('/slow.bin', { body, bytesPerSecond: 64 * 1024 });
  let job = await holder.createJob({ displayName: 'slow', minimumRetryDelay: 1 });
  job = await holder.addFile(job.id, { remoteUrl: server.url('/slow.bin'), localPath: path.join(box.dest, 'slow.bin') });
  await holder.resume(job.id);
  await waitUntil('the holder transfers', () => (holder.getJob(job.id)?.files[0].bytesTransferred ?? 0) > 0, { timeoutMs: 15_000 });

  const { out: suspended } = await runCliJson(['suspend', job.id, '--store', box.store]);
  assert.equal(suspended.state, 'SUSPENDED');
  assert.ok(suspended.progress.bytesTransferred > 0, 'it keeps its bytes');
  assert.equal(holder.getJob(job.id)?.state, JobState.SUSPENDED);

  const { out: cancelled } = await runCliJson(['cancel', job.id.slice(0, 8), '--store', box.store]);
  assert.deepEqual([cancelled.state, cancelled.codeName], ['CANCELLED', 'S_OK']);
  assert.equal(holder.getJob(job.id)?.state, JobState.CANCELLED);
  assert.equal(existsSync(path.join(box.dest, 'slow.bin')), false);
});

test('a holder that takes no commands: the verb is withdrawn unrun and the CLI says so (exit 75), without hanging', async (t) => {
  const box = sandboxFor(t);
  const engine = await JobEngine.open({ storeDir: box.store, ...FAST });
  const job = await engine.createJob({ displayName: 'left alone' });
  await engine.dispose();
  // A lease held by a live process (this one, under another id) that says it takes commands but runs no command
  // queue: a window that hangs.
  writeLiveLease(box.store, { generation: 1, holder: 'hung', label: 'the VS Code window of pid 4321', takesCommands: true });
  const r = await runCli(['set', job.id, '--priority', 'high', '--store', box.store]);
  assert.equal(r.code, 75, r.stderr);
  assert.match(
    r.stderr,
    /MD_E_STORE_IN_USE .*the VS Code window of pid 4321 \(pid \d+ on .+\).*did not take 'setPriority' within 5 s, so nothing was changed/,
  );
  assert.deepEqual(readdirSync(commandsFolder(box.store)), [], 'the request was withdrawn');
  // A holder whose lease does not say it takes commands (another CLI process) is refused at once, whatever its label.
  const lease = JSON.parse(readFileSync(path.join(box.store, 'lease-1.json'), 'utf8'));
  writeFileSync(path.join(box.store, 'lease-1.json'), JSON.stringify({ ...lease, takesCommands: undefined }));
  const cli = await runCli(['suspend', job.id, '--store', box.store]);
  assert.equal(cli.code, 75, cli.stderr);
  assert.match(
    cli.stderr,
    /MD_E_STORE_IN_USE .*in use by the VS Code window of pid 4321 \(pid \d+ on .+\), which runs its jobs\. Wait until/,
  );
  assert.equal(existsSync(commandsFolder(box.store)) ? readdirSync(commandsFolder(box.store)).length : 0, 0, 'nothing was sent');
  rmSync(path.join(box.store, 'lease-1.json'));
  const after = await JobEngine.open({ storeDir: box.store, ...FAST });
  box.later(() => after.dispose());
  assert.equal(after.getJob(job.id)?.priority, JobPriority.NORMAL, 'nothing ran');
});

test('a holder that takes a verb but never answers fails it after the answer limit, naming the holder', async (t) => {
  const box = sandboxFor(t);
  mkdirSync(commandsFolder(box.store), { recursive: true });
  // Takes every request (removes it, as the holder claims one) and answers none.
  const taker = setInterval(() => {
    for (const name of readdirSync(commandsFolder(box.store)))
      if (name.endsWith('.req.json')) rmSync(path.join(commandsFolder(box.store), name), { force: true });
  }, 20);
  box.later(() => clearInterval(taker));
  const engine = await ForwardedEngine.open(box.store, 'a stuck window', { claimTimeoutMs: 5_000, answerTimeoutMs: 1_000 });
  box.later(() => engine.dispose());
  await assert.rejects(engine.suspend('00000000-0000-0000-0000-000000000000'), (err: { code: number; message: string }) => {
    assert.equal(err.code, Codes.MD_E_STORE_IN_USE);
    assert.match(err.message, /run by a stuck window, which did not answer within 1 s, so 'suspend' was not done/);
    return true;
  });
});

test('resume forwarded to the window reports a job that fails there as a resume that runs it does (exit 1)', async (t) => {
  const box = sandboxFor(t);
  const holder = await windowHolder(box);
  server.route('/missing.bin', { status: 404 });
  let job = await holder.createJob({ displayName: 'missing', minimumRetryDelay: 1 });
  job = await holder.addFile(job.id, { remoteUrl: server.url('/missing.bin'), localPath: path.join(box.dest, 'missing.bin') });
  const r = await runCli(['resume', job.id.slice(0, 8), '--store', box.store, '--limit-rate', '1M']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /--limit-rate does not apply/, 'an option of this process is said to be ignored, not silently dropped');
  assert.match(r.stderr, new RegExp(`job ${job.id} did not finish: .*404`));
  assert.match(r.stderr, /run 'managed-downloads resume [0-9a-f]{8}', or 'managed-downloads cancel/);
  assert.equal(holder.getJob(job.id)?.state, JobState.ERROR);
});

test('a forwarded resume whose window lets go of the store stops following: exit 75, the job keeps its bytes', async (t) => {
  const box = sandboxFor(t);
  const holder = await windowHolder(box);
  const body = testBytes(4 * 1024 * 1024, 62);
  server.route('/left.bin', { body, bytesPerSecond: 128 * 1024 });
  let job = await holder.createJob({ displayName: 'left behind' });
  job = await holder.addFile(job.id, { remoteUrl: server.url('/left.bin'), localPath: path.join(box.dest, 'left.bin') });
  const following = runCli(['resume', job.id.slice(0, 8), '--store', box.store], {}, 60_000);
  await waitUntil('the holder started the transfer', () => server.requestsFor('/left.bin').length > 0, { timeoutMs: 20_000 });
  // The window closes: its engine stops and its lease is released; nobody else takes the store.
  await holder.dispose();
  const r = await following;
  assert.equal(r.code, 75, r.stderr);
  assert.match(
    r.stderr,
    /stopped following: the VS Code window of pid \d+ \(pid \d+ on .+\) no longer holds the store .*nobody runs the job now\. They keep their bytes; 'managed-downloads resume [0-9a-f]{8}' continues it here/,
  );
  // And watch, started on a store nobody runs, says so too instead of following it forever.
  const watched = await runCli(['watch', job.id.slice(0, 8), '--store', box.store], {}, 60_000);
  assert.equal(watched.code, 75, watched.stderr);
  assert.match(watched.stderr, /no longer holds the store .*nobody runs the job now/);
  const after = await JobEngine.open({ storeDir: box.store, ...FAST });
  box.later(() => after.dispose());
  assert.notEqual(after.getJob(job.id)?.state, JobState.ACKNOWLEDGED, 'the job was not finished by anyone');
});

test('a forwarded resume that stops following names only the jobs still to run, as watch does', async (t) => {
  const box = sandboxFor(t);
  const holder = await windowHolder(box);
  server.route('/quick.bin', { body: testBytes(1024, 63) });
  server.route('/slow.bin', { body: testBytes(4 * 1024 * 1024, 64), bytesPerSecond: 128 * 1024 });
  let quick = await holder.createJob({ displayName: 'quick' });
  quick = await holder.addFile(quick.id, { remoteUrl: server.url('/quick.bin'), localPath: path.join(box.dest, 'quick.bin') });
  let slow = await holder.createJob({ displayName: 'slow' });
  slow = await holder.addFile(slow.id, { remoteUrl: server.url('/slow.bin'), localPath: path.join(box.dest, 'slow.bin') });
  const child = spawnCli(['resume', quick.id, slow.id, '--store', box.store, '--json']);
  const following = collect(child, 60_000);
  let said = '';
  child.stderr?.on('data', (d: Buffer) => (said += d.toString()));
  // The window closes once it has taken both resumes (the CLI says so) and the quick job is done.
  await waitUntil(
    'both resumes taken, the quick job transferred',
    () => said.includes('Resumed in') && holder.getJob(quick.id)?.state === JobState.TRANSFERRED,
    { timeoutMs: 20_000 },
  );
  await holder.dispose();
  const r = await following;
  assert.equal(r.code, 75, r.stderr);
  const last = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  assert.deepEqual(last, { ok: false, nobodyRuns: true, jobs: [slow.id] });
  assert.match(r.stderr, new RegExp(`'managed-downloads resume ${slow.id.slice(0, 8)}' continues it here`));
});
