// Hostile local state: a symbolic or hard link put at a temp file's (guessable) name, a file written at the
// destination after the download was added, and two jobs aiming at one path. The job never writes into a file it
// did not make, never moves a link into place, and never silently replaces someone else's file.
import assert from 'node:assert/strict';
import { existsSync, linkSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { Codes } from '../../../../src/core/errors';
import { JobState } from '../../../../src/core/model/job';
import { runCli } from '../../../support/cli';
import { engineForTest, listNames, openEngine, sandboxFor, startJob, waitForState } from '../../../support/engine';
import { sha256, startServer, testBytes, type TestServer } from '../../../support/servers';
import { waitUntil } from '../../../support/wait';

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server.close());

/** A job whose first answer drops after `at` bytes, left waiting (an hour's retry delay) with those bytes in its temp file. */
async function interruptedJob(t: Parameters<typeof engineForTest>[0], route: string, body: Buffer, at: number) {
  const { box, engine } = await engineForTest(t);
  server.route(route, (n) => (n === 1 ? { body, resetAfter: at } : { body }));
  const job = await startJob(engine, box, [{ url: server.url(route), name: 'file.bin' }], {
    displayName: 'interrupted',
    minimumRetryDelay: 3600,
  });
  const waiting = await waitForState(engine, job.id, JobState.TRANSIENT_ERROR);
  const temp = waiting.files[0].tempPath;
  assert.ok(existsSync(temp) && readFileSync(temp).length > 0, 'the temp file holds the first bytes');
  return { box, engine, job: waiting, temp };
}

test('a symbolic link put at the temp name is never followed on resume: its target is untouched, the file arrives whole', async (t) => {
  const body = testBytes(200_000, 201);
  const { box, engine, job, temp } = await interruptedJob(t, '/symlink-resume', body, 60_000);
  const victim = path.join(box.root, 'victim.txt');
  writeFileSync(victim, 'precious content');
  rmSync(temp);
  symlinkSync(victim, temp);
  await engine.retryNow(job.id);
  await waitForState(engine, job.id, [JobState.TRANSFERRED, JobState.ERROR]);
  assert.equal(readFileSync(victim, 'utf8'), 'precious content', 'the link target was not written to');
  await engine.complete(job.id);
  const final = path.join(box.dest, 'file.bin');
  assert.ok(lstatSync(final).isFile() && !lstatSync(final).isSymbolicLink(), 'a regular file is in place, not a link');
  assert.equal(sha256(readFileSync(final)), sha256(body));
  assert.equal(readFileSync(victim, 'utf8'), 'precious content');
});

test('a hard link put at the temp name is not written to either', async (t) => {
  const body = testBytes(200_000, 202);
  const { box, engine, job, temp } = await interruptedJob(t, '/hardlink-resume', body, 60_000);
  const victim = path.join(box.root, 'victim.bin');
  writeFileSync(victim, Buffer.alloc(60_000, 7));
  rmSync(temp);
  linkSync(victim, temp);
  await engine.retryNow(job.id);
  await waitForState(engine, job.id, [JobState.TRANSFERRED, JobState.ERROR]);
  assert.ok(readFileSync(victim).equals(Buffer.alloc(60_000, 7)), 'the other name of the file was not written to');
  await engine.complete(job.id);
  assert.equal(sha256(readFileSync(path.join(box.dest, 'file.bin'))), sha256(body));
});

test('Complete refuses to move a link into place: the file is downloaded again, then put in place whole', async (t) => {
  const { box, engine } = await engineForTest(t);
  const body = testBytes(150_000, 203);
  server.route('/symlink-complete', { body });
  const started = await startJob(engine, box, [{ url: server.url('/symlink-complete'), name: 'c.bin' }]);
  const done = await waitForState(engine, started.id, JobState.TRANSFERRED);
  const temp = done.files[0].tempPath;
  const victim = path.join(box.root, 'victim.bin');
  writeFileSync(victim, body.subarray(0, 1000));
  rmSync(temp);
  symlinkSync(victim, temp);
  await assert.rejects(engine.complete(done.id), (err: { code: number; message: string }) => {
    assert.equal(err.code, Codes.BG_E_LOCAL_FILE_CHANGED, err.message);
    assert.match(err.message, /symbolic link/);
    return true;
  });
  const final = path.join(box.dest, 'c.bin');
  assert.ok(!existsSync(final) || !lstatSync(final).isSymbolicLink(), 'no link at the destination');
  assert.ok(existsSync(victim), 'the link target is still there');
  await waitForState(engine, done.id, JobState.TRANSFERRED);
  await engine.complete(done.id);
  assert.ok(!lstatSync(final).isSymbolicLink());
  assert.equal(sha256(readFileSync(final)), sha256(body));
  assert.ok(readFileSync(victim).equals(body.subarray(0, 1000)), 'the link target is untouched');
});

test('Complete puts neither a hard link nor another file at the temp name in place, not even for a moment after', async (t) => {
  const { box, engine } = await engineForTest(t);
  const body = testBytes(120_000, 207);
  server.route('/hardlink-complete', { body });
  const started = await startJob(engine, box, [{ url: server.url('/hardlink-complete'), name: 'h.bin' }]);
  const done = await waitForState(engine, started.id, JobState.TRANSFERRED);
  const temp = done.files[0].tempPath;
  const final = path.join(box.dest, 'h.bin');
  // A hard link to someone else's file at the temp name: link() at Complete would give the destination that file.
  const victim = path.join(box.root, 'victim-h.bin');
  writeFileSync(victim, Buffer.alloc(2000, 3));
  rmSync(temp);
  linkSync(victim, temp);
  await assert.rejects(engine.complete(done.id), (err: { code: number; message: string }) => {
    assert.equal(err.code, Codes.BG_E_LOCAL_FILE_CHANGED, err.message);
    assert.match(err.message, /2 names \(a hard link\)/);
    return true;
  });
  assert.ok(!existsSync(final), 'the destination was not left holding the other file');
  assert.equal(lstatSync(victim).nlink, 1, 'the temp name was dropped, the victim keeps only its own name');
  assert.ok(readFileSync(victim).equals(Buffer.alloc(2000, 3)), 'the other file is untouched');
  // Then a plain file that is not the one the job created.
  await waitForState(engine, done.id, JobState.TRANSFERRED);
  const again = engine.getJob(done.id)!;
  // Made before the temp file goes, so it cannot get the temp file's inode number again.
  const replacement = path.join(box.dest, 'replacement.tmp');
  writeFileSync(replacement, Buffer.alloc(120_000, 9));
  renameSync(replacement, again.files[0].tempPath);
  await assert.rejects(engine.complete(done.id), (err: { code: number; message: string }) => {
    assert.equal(err.code, Codes.BG_E_LOCAL_FILE_CHANGED, err.message);
    assert.match(err.message, /another file than the one the job created/);
    return true;
  });
  assert.ok(!existsSync(final), 'the replacement was not put in place');
  await waitForState(engine, done.id, JobState.TRANSFERRED);
  await engine.complete(done.id);
  assert.equal(sha256(readFileSync(final)), sha256(body));
  assert.equal(lstatSync(final).nlink, 1, 'the temp name is gone');
});

test('a second job to a path another live job downloads to is refused, naming that job; once it is completed the path is free', async (t) => {
  const { box, engine } = await engineForTest(t);
  const body = testBytes(50_000, 204);
  server.route('/twice', { body });
  const first = await startJob(engine, box, [{ url: server.url('/twice'), name: 'same.bin' }]);
  const second = await engine.createJob({ displayName: 'second', minimumRetryDelay: 0 });
  const target = path.join(box.dest, 'same.bin');
  await assert.rejects(
    engine.addFile(second.id, { remoteUrl: server.url('/twice'), localPath: target }),
    (err: { code: number; message: string }) => {
      assert.equal(err.code, Codes.E_SHARING_VIOLATION, err.message);
      assert.ok(err.message.includes(first.id), `the message names the other job: ${err.message}`);
      return true;
    },
  );
  assert.equal(engine.getJob(second.id)!.files.length, 0);
  await waitForState(engine, first.id, JobState.TRANSFERRED);
  await engine.complete(first.id);
  await engine.addFile(second.id, { remoteUrl: server.url('/twice'), localPath: target });
});

test('Complete never replaces a file that appeared at the destination after the file was added: E_FILE_EXISTS, both kept', async (t) => {
  const { box, engine } = await engineForTest(t);
  const body = testBytes(80_000, 205);
  server.route('/appeared', { body });
  const job = await startJob(engine, box, [{ url: server.url('/appeared'), name: 'a.bin' }]);
  const done = await waitForState(engine, job.id, JobState.TRANSFERRED);
  const final = path.join(box.dest, 'a.bin');
  writeFileSync(final, 'written by someone else meanwhile');
  await assert.rejects(engine.complete(job.id), (err: { code: number; message: string }) => {
    assert.equal(err.code, Codes.E_FILE_EXISTS, err.message);
    assert.match(err.message, /Move it away or delete it/);
    return true;
  });
  assert.equal(readFileSync(final, 'utf8'), 'written by someone else meanwhile', "the other writer's file is kept");
  assert.equal(engine.getJob(job.id)!.state, JobState.TRANSFERRED, 'the job still holds its file');
  assert.equal(sha256(readFileSync(done.files[0].tempPath)), sha256(body), 'the download waits in its temp file');
  rmSync(final);
  await engine.complete(job.id);
  assert.equal(sha256(readFileSync(final)), sha256(body));
});

test('a file that existed when added is replaced at Complete, but not once someone rewrote it after that', async (t) => {
  const { box, engine } = await engineForTest(t);
  const body = testBytes(30_000, 206);
  server.route('/replace', { body });
  mkdirSync(box.dest, { recursive: true });
  const kept = path.join(box.dest, 'kept.bin');
  const rewritten = path.join(box.dest, 'rewritten.bin');
  writeFileSync(kept, 'old');
  writeFileSync(rewritten, 'old');
  const one = await startJob(engine, box, [{ url: server.url('/replace'), name: 'kept.bin' }]);
  const two = await startJob(engine, box, [{ url: server.url('/replace'), name: 'rewritten.bin' }]);
  await waitForState(engine, one.id, JobState.TRANSFERRED);
  await waitForState(engine, two.id, JobState.TRANSFERRED);
  await engine.complete(one.id);
  assert.equal(sha256(readFileSync(kept)), sha256(body), 'the file the caller chose to replace is replaced');
  writeFileSync(rewritten, 'rewritten meanwhile, a longer text');
  await assert.rejects(engine.complete(two.id), (err: { code: number }) => err.code === Codes.E_FILE_EXISTS);
  assert.equal(readFileSync(rewritten, 'utf8'), 'rewritten meanwhile, a longer text');
});

test('two concurrent CLI gets to one path: one delivers its file whole, the other fails clearly; one store or two', async (t) => {
  const { box } = await engineForTest(t);
  const first = testBytes(600_000, 207);
  const second = testBytes(600_000, 208);
  server.route('/one/same.bin', { body: first, bytesPerSecond: 60_000 });
  server.route('/two/same.bin', { body: second, bytesPerSecond: 400_000 });
  for (const stores of [
    [box.store, box.store],
    [path.join(box.root, 's1'), path.join(box.root, 's2')],
  ]) {
    const dest = path.join(box.root, `dest-${stores[0] === stores[1] ? 'one-store' : 'two-stores'}`);
    const a = runCli(['get', server.url('/one/same.bin'), '--dest', dest, '--store', stores[0], '--retry-delay', '0.2']);
    // The second starts once the first is downloading (its temp file is there), so both run at once.
    await waitUntil('the first get started downloading', () => listNames(dest).some((n) => n.startsWith('.same.bin.')), {
      timeoutMs: 30_000,
      intervalMs: 50,
    });
    const b = await runCli(['get', server.url('/two/same.bin'), '--dest', dest, '--store', stores[1], '--retry-delay', '0.2']);
    const ra = await a;
    const results = [ra, b];
    const ok = results.filter((r) => r.code === 0);
    assert.equal(ok.length, 1, `exactly one succeeds: ${results.map((r) => `${r.code} ${r.stderr.slice(-300)}`).join(' | ')}`);
    const failed = results.find((r) => r.code !== 0)!;
    // One store: the CLI holds it for one get at a time (MD_E_STORE_IN_USE); two stores: the later Complete refuses.
    assert.match(
      failed.stderr + failed.stdout,
      stores[0] === stores[1] ? /MD_E_STORE_IN_USE/ : /E_FILE_EXISTS.*was created or changed after this file was added/s,
      failed.stderr,
    );
    assert.doesNotMatch(failed.stderr, /\n\s+at /, 'no stack trace');
    const got = readFileSync(path.join(dest, 'same.bin'));
    assert.equal(sha256(got), sha256(ok[0] === ra ? first : second), 'the file is the one the successful get fetched, whole');
  }
});

test('the temp file the job made is still recognised after the engine reopens its store: the download continues, not restarts', async (t) => {
  const box = sandboxFor(t);
  const body = testBytes(300_000, 209);
  server.route('/reopen', (n) => (n === 1 ? { body, resetAfter: 120_000 } : { body }));
  const first = await openEngine(box);
  const job = await startJob(first, box, [{ url: server.url('/reopen'), name: 'reopen.bin' }], {
    displayName: 'reopen',
    minimumRetryDelay: 3600,
  });
  await waitForState(first, job.id, JobState.TRANSIENT_ERROR);
  await first.dispose();
  const second = await openEngine(box);
  t.after(() => second.dispose());
  await second.retryNow(job.id);
  await waitForState(second, job.id, JobState.TRANSFERRED);
  await second.complete(job.id);
  assert.equal(sha256(readFileSync(path.join(box.dest, 'reopen.bin'))), sha256(body));
  const resumed = server.requestsFor('/reopen')[1];
  assert.match(String(resumed.headers['range']), /^bytes=[1-9]\d*-$/, 'the second engine continued from the bytes on disk');
});
