// Hostile input: each refused with a clear BitsError (a stable code, a message that says what to do) and no side
// effect: no job change, no store write, no request, no file. Credentials never reach a message or the store.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { Codes } from '../../../../src/core/errors';
import { JobState } from '../../../../src/core/model/job';
import { pathInFolder } from '../../../../src/core/model/validation';
import { nameProblem } from '../../../../src/core/util/file-name';
import { fileNameFromUrl, parseDownloadUrl } from '../../../../src/ui/destinations';
import { openEngine, sandbox, waitForState } from '../../../support/engine';
import { startServer } from '../../../support/servers';
import { allFileText } from '../../../support/store';

import { letTimePass, waitUntil } from '../../../support/wait';

/** The text of the store's job files (not its lease, whose heartbeat changes on its own). */
const storeText = (store: string) => allFileText(path.join(store, 'jobs'));

async function world(t: { after: (fn: () => Promise<void>) => void }) {
  const box = sandbox();
  const logs: string[] = [];
  const engine = await openEngine(box, { log: (level, message) => logs.push(`${level} ${message}`) });
  const server = await startServer();
  t.after(async () => {
    await engine.dispose();
    await server.close();
    await box.cleanup();
  });
  const job = await engine.createJob({ displayName: 'hostile', minimumRetryDelay: 0 });
  await waitUntil('the new job in the store', () => storeText(box.store).includes(job.id));
  return { box, logs, engine, server, job };
}

/** Expects `action` to fail with `code`, and the job and the store to be exactly as before. */
async function refusedWithoutEffect(
  w: Awaited<ReturnType<typeof world>>,
  action: () => Promise<unknown>,
  code: number,
  message: RegExp,
  secret?: string,
) {
  const before = { job: JSON.stringify(w.engine.getJob(w.job.id)), store: storeText(w.box.store) };
  await assert.rejects(action(), (err: { code: number; message: string }) => {
    assert.equal(err.code, code, err.message);
    assert.match(err.message, message);
    if (secret) assert.ok(!err.message.includes(secret), `the message repeats the secret: ${err.message}`);
    return true;
  });
  await letTimePass(60); // on purpose: a side effect of the refused call would have shown by now
  assert.equal(JSON.stringify(w.engine.getJob(w.job.id)), before.job, 'the job is unchanged');
  assert.equal(storeText(w.box.store), before.store, 'the store is unchanged');
  assert.equal(w.server.requests.length, 0, 'no request was sent');
  assert.equal(existsSync(w.box.dest) ? readdirSync(w.box.dest).length : 0, 0, 'no file was made');
}

test('file:, data:, ftp: and javascript: URLs are refused with BG_E_PROTOCOL_NOT_AVAILABLE, in the engine and the UI', async (t) => {
  const w = await world(t);
  for (const url of ['file:///etc/passwd', 'data:text/plain;base64,' + 'A'.repeat(5000), 'ftp://127.0.0.1/file', 'javascript:alert(1)']) {
    await refusedWithoutEffect(
      w,
      () => w.engine.addFile(w.job.id, { remoteUrl: url, localPath: path.join(w.box.dest, 'x.bin') }),
      Codes.BG_E_PROTOCOL_NOT_AVAILABLE,
      /only http and https/,
    );
    assert.throws(
      () => parseDownloadUrl(url),
      (err: { code: number; message: string }) => err.code === Codes.BG_E_PROTOCOL_NOT_AVAILABLE && err.message.length < 200,
    );
  }
});

test('credentials in a URL are refused and appear in no message, log line or store file', async (t) => {
  const w = await world(t);
  const url = w.server.url('/private').replace('http://', 'http://alice:hunter2-secret@');
  await refusedWithoutEffect(
    w,
    () => w.engine.addFile(w.job.id, { remoteUrl: url, localPath: path.join(w.box.dest, 'p.bin') }),
    Codes.E_INVALIDARG,
    /user name or password.*write-only header/,
    'hunter2-secret',
  );
  assert.throws(
    () => parseDownloadUrl(url),
    (err: Error) => /Set Write-Only Header/.test(err.message) && !err.message.includes('hunter2'),
  );
  assert.throws(
    () => parseDownloadUrl('ftp://bob:hunter2-secret@host/x'),
    (err: Error) => !err.message.includes('hunter2'),
  );
  assert.ok(!w.logs.join('\n').includes('hunter2'), 'not in the log');
  assert.ok(!storeText(w.box.store).includes('hunter2'), 'not in the store');
});

test('enormous headers and URLs are refused with BG_E_STRING_TOO_LONG; header injection with E_INVALIDARG', async (t) => {
  const w = await world(t);
  await refusedWithoutEffect(
    w,
    () => w.engine.setProperties(w.job.id, { customHeaders: { 'X-Big': 'a'.repeat(20_000) } }),
    Codes.BG_E_STRING_TOO_LONG,
    /at most 16384/,
  );
  await refusedWithoutEffect(
    w,
    () => w.engine.setProperties(w.job.id, { customHeaders: { 'X-Evil': 'ok\r\nHost: evil' } }),
    Codes.E_INVALIDARG,
    /without line breaks/,
  );
  await refusedWithoutEffect(
    w,
    () => w.engine.setProperties(w.job.id, { customHeaders: { 'Bad Name': 'x' } }),
    Codes.E_INVALIDARG,
    /not a valid HTTP header name/,
  );
  await refusedWithoutEffect(
    w,
    () => w.engine.setProperties(w.job.id, { customHeaders: { Range: 'bytes=0-' } }),
    Codes.E_INVALIDARG,
    /managed by the download engine/,
  );
  await assert.rejects(
    w.engine.createJob({ displayName: 'x'.repeat(10_000) }),
    (err: { code: number }) => err.code === Codes.BG_E_STRING_TOO_LONG,
  );
  await refusedWithoutEffect(
    w,
    () => w.engine.addFile(w.job.id, { remoteUrl: w.server.url('/' + 'a'.repeat(9000)), localPath: path.join(w.box.dest, 'l.bin') }),
    Codes.BG_E_STRING_TOO_LONG,
    /at most 8192/,
  );
});

test('createJob refuses a validator source or autoComplete that is not one of its values (an API caller may pass anything), and every job still lists', async (t) => {
  const w = await world(t);
  let nested: unknown = true;
  for (let i = 0; i < 5000; i++) nested = [nested];
  const hostile = [{ autoComplete: nested }, { autoComplete: 'yes' }, { validator: 'nobody' }, { validator: nested }] as unknown as Partial<
    Parameters<typeof w.engine.createJob>[0]
  >[];
  for (const options of hostile) {
    await assert.rejects(
      w.engine.createJob({ displayName: 'hostile options', ...options }),
      (err: { code: number }) => err.code === Codes.E_INVALIDARG,
    );
  }
  assert.ok(w.engine.listJobs().every((j) => j.displayName !== 'hostile options'));
});

test('destination paths: relative, a root, an existing folder are refused; names from URLs never leave the folder', async (t) => {
  const w = await world(t);
  const url = w.server.url('/f');
  await refusedWithoutEffect(
    w,
    () => w.engine.addFile(w.job.id, { remoteUrl: url, localPath: '../../etc/passwd' }),
    Codes.E_INVALIDARG,
    /not absolute/,
  );
  await refusedWithoutEffect(w, () => w.engine.addFile(w.job.id, { remoteUrl: url, localPath: '/' }), Codes.E_INVALIDARG, /root folder/);
  mkdirSync(path.join(w.box.root, 'a-folder'));
  await refusedWithoutEffect(
    w,
    () => w.engine.addFile(w.job.id, { remoteUrl: url, localPath: path.join(w.box.root, 'a-folder') }),
    Codes.E_INVALIDARG,
    /existing folder/,
  );

  const folder = path.join(w.box.root, 'chosen');
  for (const name of ['../escape', '../../etc/passwd', '/etc/passwd', '..', '', 'sub/../../x']) {
    assert.throws(
      () => pathInFolder(folder, name),
      (err: { code: number; message: string }) => err.code === Codes.E_INVALIDARG && /inside the chosen folder/.test(err.message),
      name,
    );
  }
  assert.equal(pathInFolder(folder, 'ok.bin'), path.join(folder, 'ok.bin'));
  for (const hostile of [
    'https://h/..%2F..%2Fetc%2Fpasswd',
    'https://h/%2E%2E',
    'https://h/a%00b',
    'https://h/evil%E2%80%AEtxt.exe',
    'https://h/con%3A%2A%3F',
    'https://h/%0A%0Dname',
  ]) {
    const name = fileNameFromUrl(new URL(hostile));
    // eslint-disable-next-line no-control-regex -- control characters are what the name must not contain
    assert.ok(name.length > 0 && !/[/\\\u0000-\u001f\u202e]/.test(name) && !name.startsWith('.'), `${hostile} -> ${JSON.stringify(name)}`);
    assert.equal(path.dirname(pathInFolder(folder, name)), folder, `${hostile} stays in the folder`);
  }
});

test('an existing file at the destination is kept until Complete, and replaced only then (the caller asked for that path)', async (t) => {
  const w = await world(t);
  mkdirSync(w.box.dest, { recursive: true });
  const existing = path.join(w.box.dest, 'keep.txt');
  writeFileSync(existing, 'mine');
  w.server.route('/new', { body: Buffer.from('new content') });
  await w.engine.addFile(w.job.id, { remoteUrl: w.server.url('/new'), localPath: existing });
  await w.engine.resume(w.job.id);
  await waitForState(w.engine, w.job.id, JobState.TRANSFERRED);
  assert.equal(readFileSync(existing, 'utf8'), 'mine', 'untouched until Complete');
});

test('a name the file system cannot hold is refused when added, before any byte is fetched: E_FILENAME_TOO_LONG', async (t) => {
  const w = await world(t);
  const url = w.server.url('/f');
  // 100 CJK characters: 300 bytes of UTF-8, more than the 255 a name may have.
  const cjk = '\u6f22'.repeat(100) + '.bin';
  await refusedWithoutEffect(
    w,
    () => w.engine.addFile(w.job.id, { remoteUrl: url, localPath: path.join(w.box.dest, cjk) }),
    Codes.E_FILENAME_TOO_LONG,
    /304 bytes.*at most 255/,
  );
  await refusedWithoutEffect(
    w,
    () => w.engine.addFile(w.job.id, { remoteUrl: url, localPath: path.join(w.box.dest, 'a'.repeat(256)) }),
    Codes.E_FILENAME_TOO_LONG,
    /shorter name/,
  );
  await refusedWithoutEffect(
    w,
    () => w.engine.addFile(w.job.id, { remoteUrl: url, localPath: path.join(w.box.dest, 'x'.repeat(300), 'ok.bin') }),
    Codes.E_FILENAME_TOO_LONG,
    /300 bytes/,
  );
  // A whole path longer than the system takes, counting the temp file's longer name beside it.
  // The destination's path is 4,090 bytes (it fits in 4,095); its temp file's is longer.
  const folders = path.join(w.box.dest, ...Array.from({ length: 19 }, () => 'd'.repeat(200)));
  const deep = path.join(folders, 'e'.repeat(4090 - Buffer.byteLength(folders) - 2 - 'f.bin'.length), 'f.bin');
  assert.equal(Buffer.byteLength(deep), 4090);
  await refusedWithoutEffect(
    w,
    () => w.engine.addFile(w.job.id, { remoteUrl: url, localPath: deep }),
    Codes.E_FILENAME_TOO_LONG,
    /temp file's path/,
  );
  // 255 bytes exactly is fine, and its temp name (longer) is shortened to fit.
  await w.engine.addFile(w.job.id, { remoteUrl: url, localPath: path.join(w.box.dest, 'b'.repeat(255)) });
  assert.ok(Buffer.byteLength(path.basename(w.engine.getJob(w.job.id)!.files[0].tempPath)) <= 255);
});

test('names Windows cannot hold: device names, trailing dots and spaces, forbidden characters; names from URLs avoid them all', () => {
  for (const name of [
    'CON',
    'con.txt',
    'NUL',
    'Com1.log',
    'LPT9',
    'aux .tar.gz',
    'name.',
    'name ',
    'a<b',
    'a:b',
    'q?',
    'star*',
    'pipe|',
    'tab\tname',
  ]) {
    assert.ok(nameProblem(name, 'win32')?.kind === 'invalid', `${JSON.stringify(name)} is refused on Windows`);
    if (!name.includes('\0')) assert.equal(nameProblem(name, 'linux'), undefined, `${JSON.stringify(name)} is fine on Linux`);
  }
  for (const name of ['CONSOLE', 'con-tract.txt', 'COM10', 'file.txt', '.hidden'])
    assert.equal(nameProblem(name, 'win32'), undefined, name);
  assert.equal(nameProblem('\u6f22'.repeat(100), 'win32'), undefined, '100 characters are fine on Windows (UTF-16 units)');
  assert.equal(nameProblem('\u6f22'.repeat(100), 'linux')?.kind, 'too-long');
  assert.equal(nameProblem('x'.repeat(256), 'win32')?.kind, 'too-long');
  for (const hostile of [
    'https://h/CON',
    'https://h/nul.txt',
    'https://h/name.',
    'https://h/name%20%20',
    'https://h/' + '%E6%BC%A2'.repeat(150),
  ]) {
    const name = fileNameFromUrl(new URL(hostile));
    assert.equal(nameProblem(name, 'win32'), undefined, `${hostile} -> ${name} fits Windows`);
    assert.equal(nameProblem(name, 'linux'), undefined, `${hostile} -> ${name} fits Linux`);
    assert.ok(Buffer.byteLength(name) <= 200, `${hostile}: ${Buffer.byteLength(name)} bytes`);
  }
});
