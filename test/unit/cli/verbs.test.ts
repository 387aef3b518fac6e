// Every engine verb from the command line, as real CLI processes against a real loopback server: a job built
// step by step (create, add, set, resume, complete), suspend, -i lists and -o names, --limit-rate, --ca-file,
// and --json from each verb.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { collect, runCli, runCliJson, spawnCli } from '../../support/cli';
import { listNames, sandboxFor } from '../../support/engine';
import { serverForFile, sha256, startServer, testBytes, type TestServer } from '../../support/servers';
import { waitUntil } from '../../support/wait';

let server: TestServer;
const small = testBytes(90_000, 31);
before(async () => {
  server = await startServer();
});
after(() => server.close());

test('a job built verb by verb: create, add -o, set, resume (to TRANSFERRED), complete; each with --json', async (t) => {
  const box = sandboxFor(t);
  server.route('/steps.bin', { body: small });
  const store = ['--store', box.store];
  const { out: created } = await runCliJson([
    'create',
    ...store,
    '--name',
    'step by step',
    '--description',
    'made by verbs',
    '--priority',
    'low',
    '--retry-delay',
    '1',
    '--no-progress-timeout',
    '0',
    '--redirect-policy',
    'disallow',
    '--security-flags',
    '0x8',
  ]);
  assert.equal(created.ok, true);
  assert.deepEqual(
    {
      state: created.state,
      name: created.displayName,
      description: created.description,
      priority: created.priority,
      flags: created.securityFlags,
      redirects: created.redirectPolicy,
      retry: created.minimumRetryDelay,
      timeout: created.noProgressTimeout,
      auto: created.autoComplete,
    },
    {
      state: 'SUSPENDED',
      name: 'step by step',
      description: 'made by verbs',
      priority: 'LOW',
      flags: '0x00000208',
      redirects: 'disallow',
      retry: 1,
      timeout: 0,
      auto: false,
    },
  );
  const id: string = created.id;

  const target = path.join(box.dest, 'renamed.bin');
  const { out: added } = await runCliJson([
    'add',
    id.slice(0, 8),
    server.url('/steps.bin'),
    '-o',
    'renamed.bin',
    '--dest',
    box.dest,
    '--sha256',
    sha256(small),
    ...store,
  ]);
  assert.deepEqual(
    added.files.map((f: { localPath: string; sha256: string }) => [f.localPath, f.sha256]),
    [[target, sha256(small)]],
  );
  assert.equal(server.requestsFor('/steps.bin').length, 0, 'add sends nothing: the job is still SUSPENDED');

  const { out: changed } = await runCliJson([
    'set',
    id,
    '--priority',
    'high',
    '--description',
    'changed',
    '--header',
    'X-Trace: 42',
    '--redirect-policy',
    'allow',
    '--retry-delay',
    '7',
    ...store,
  ]);
  assert.deepEqual(
    {
      priority: changed.priority,
      description: changed.description,
      headers: changed.headers,
      redirects: changed.redirectPolicy,
      flags: changed.securityFlags,
      retry: changed.minimumRetryDelay,
    },
    { priority: 'HIGH', description: 'changed', headers: ['X-Trace'], redirects: 'allow', flags: '0x00000008', retry: 7 },
  );

  const { out: resumed } = await runCliJson(['resume', id, ...store]);
  assert.equal(resumed.ok, true);
  assert.equal(resumed.state, 'TRANSFERRED', 'a job made without --auto-complete waits for complete, as BITS does');
  assert.equal(existsSync(target), false, 'nothing at the final path before complete');
  assert.equal(server.requestsFor('/steps.bin')[0].headers['x-trace'], '42', 'the header set later is sent');

  const { out: completed } = await runCliJson(['complete', id.slice(0, 6), ...store]);
  assert.deepEqual(
    { ok: completed.ok, state: completed.state, codeName: completed.codeName, completed: completed.completed },
    { ok: true, state: 'ACKNOWLEDGED', codeName: 'S_OK', completed: [target] },
  );
  assert.equal(sha256(readFileSync(target)), sha256(small));

  const again = await runCli(['set', id, '--priority', 'low', ...store]);
  assert.equal(again.code, 2, 'a completed job takes no settings');
  assert.match(again.stderr, /BG_E_INVALID_STATE .*it is ACKNOWLEDGED/);
  const text = await runCli(['create', ...store]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^[0-9a-f-]{36}\n$/, 'without --json, create prints the new id alone, for scripts');
});

test('suspend stops a job that a get left unfinished; run then leaves it alone, and resume finishes it', async (t) => {
  const box = sandboxFor(t);
  const body = testBytes(3 * 1024 * 1024, 32);
  server.route('/paused.bin', (n) => (n === 1 ? { body, bytesPerSecond: 1024 * 1024 } : { body }));
  const child = spawnCli(['get', server.url('/paused.bin'), '--dest', box.dest, '--store', box.store, '--json']);
  const exited = collect(child);
  await waitUntil(
    'the transfer started',
    () => listNames(box.dest).some((n) => n.endsWith('.mddownload') && statSync(path.join(box.dest, n)).size > 128 * 1024),
    { timeoutMs: 20_000 },
  );
  child.kill('SIGINT');
  const stopped = await exited;
  assert.equal(stopped.code, 130);
  const id: string = JSON.parse(stopped.stdout).jobs[0];

  const { out: suspended } = await runCliJson(['suspend', id, '--store', box.store]);
  assert.equal(suspended.state, 'SUSPENDED');
  assert.ok(suspended.progress.bytesTransferred > 0, 'it keeps its bytes');
  const run = await runCli(['run', '--store', box.store]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /Nothing to do/, 'a suspended job waits for resume');
  assert.equal(server.requestsFor('/paused.bin').length, 1);

  const resumed = await runCli(['resume', id.slice(0, 8), '--store', box.store]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(sha256(readFileSync(path.join(box.dest, 'paused.bin'))), sha256(body));
  assert.match(String(server.requestsFor('/paused.bin')[1].headers['range']), /^bytes=[1-9]\d*-$/, 'resumed from its bytes');
  const late = await runCli(['suspend', id, '--store', box.store]);
  assert.equal(late.code, 2);
  assert.match(late.stderr, /BG_E_INVALID_STATE .*Cannot suspend job .*it is ACKNOWLEDGED/);
});

test('get -i FILE fetches every URL of the list (comments and blank lines skipped); a bad line stops everything first', async (t) => {
  const box = sandboxFor(t);
  const one = testBytes(20_000, 33);
  const two = testBytes(30_000, 34);
  server.route('/list/one.bin', { body: one });
  server.route('/list/two.bin', { body: two });
  const list = path.join(box.root, 'urls.txt');
  writeFileSync(list, `# nightly mirrors\n\n${server.url('/list/one.bin')}\n   ${server.url('/list/two.bin')}   \n# done\n`);
  const ok = await runCli(['get', '-i', list, '--dest', box.dest, '--store', box.store]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual(ok.stdout.trim().split('\n'), [path.join(box.dest, 'one.bin'), path.join(box.dest, 'two.bin')]);
  assert.equal(sha256(readFileSync(path.join(box.dest, 'two.bin'))), sha256(two));

  server.route('/list/never.bin', { body: one });
  const bad = path.join(box.root, 'bad.txt');
  writeFileSync(bad, `${server.url('/list/never.bin')}\n# fine so far\nhttp//missing-colon/x\nfile:///etc/passwd\n`);
  const refused = await runCli(['get', '-i', bad, '--dest', path.join(box.dest, 'bad'), '--store', box.store]);
  assert.equal(refused.code, 2);
  assert.match(
    refused.stderr,
    /bad\.txt has 2 bad lines; nothing was started:\n {2}line 3: "http\/\/missing-colon\/x" is not a valid URL\.\n {2}line 4: Cannot download file: URLs/,
  );
  assert.equal(server.requestsFor('/list/never.bin').length, 0, 'not even the good line was fetched');
  assert.equal(existsSync(path.join(box.dest, 'bad')), false);
  const missing = await runCli(['get', '-i', path.join(box.root, 'absent.txt'), '--store', box.store]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /E_FILE_NOT_FOUND \(0x80070002\): -i .*absent\.txt does not exist/);

  const named = await runCli(['get', server.url('/list/one.bin'), '-o', 'chosen.name', '--dest', box.dest, '--store', box.store]);
  assert.equal(named.code, 0, named.stderr);
  assert.equal(sha256(readFileSync(path.join(box.dest, 'chosen.name'))), sha256(one));
  const jobs = await runCliJson(['list', '--store', box.store]);
  assert.deepEqual(jobs.out.jobs, [], 'the refused list left no job behind');
});

test('--limit-rate holds the whole download to the rate; a bad rate is refused before anything starts', async (t) => {
  const box = sandboxFor(t);
  const body = testBytes(256 * 1024, 35);
  server.route('/limited.bin', { body });
  const started = Date.now();
  const r = await runCli(['get', server.url('/limited.bin'), '--dest', box.dest, '--store', box.store, '--limit-rate', '64K']);
  const seconds = (Date.now() - started) / 1000;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(sha256(readFileSync(path.join(box.dest, 'limited.bin'))), sha256(body));
  // A lower bound only (a slow machine takes longer, never shorter): 256 KiB at 64 KiB/s, less a 16 KiB burst.
  assert.ok(seconds >= 3, `256 KiB at 64 KiB/s took ${seconds.toFixed(1)} s`);
  const bad = await runCli(['get', server.url('/limited.bin'), '--dest', box.dest, '--store', box.store, '--limit-rate', '64 KB/s']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--limit-rate needs a rate in bytes per second.*100K, 1M, 2G \(got "64 KB\/s"\)/);
  assert.equal(server.requestsFor('/limited.bin').length, 1);
});

test('--ca-file trusts a private CA for this command (get, check-cert); a missing or non-PEM file is a clear error', async (t) => {
  const box = sandboxFor(t);
  const { server: tls, caFile } = await serverForFile(t, box.root, '/private.bin', small, { caName: 'CLI --ca-file test CA' });
  const untrusted = await runCli(['get', tls.url('/private.bin'), '--dest', box.dest, '--store', box.store, '--no-progress-timeout', '0']);
  assert.equal(untrusted.code, 1);
  assert.match(untrusted.stderr, /ERROR_WINHTTP_SECURE_INVALID_CA/);
  const trusted = await runCli([
    'get',
    tls.url('/private.bin'),
    '--dest',
    path.join(box.dest, 'ok'),
    '--store',
    box.store,
    '--ca-file',
    caFile,
  ]);
  assert.equal(trusted.code, 0, trusted.stderr);
  assert.equal(sha256(readFileSync(path.join(box.dest, 'ok', 'private.bin'))), sha256(small));
  const check = await runCliJson(['check-cert', tls.url('/private.bin'), '--ca-file', caFile]);
  assert.equal(check.out.accepted, true);

  const notPem = path.join(box.root, 'not.pem');
  writeFileSync(notPem, 'hello');
  const cases: [string, number, RegExp][] = [
    [path.join(box.root, 'absent.pem'), 1, /E_FILE_NOT_FOUND \(0x80070002\): --ca-file .*absent\.pem does not exist/],
    [notPem, 2, /E_INVALIDARG \(0x80070057\): --ca-file .*not\.pem holds no PEM certificate/],
  ];
  for (const [file, code, message] of cases) {
    const r = await runCli([
      'get',
      tls.url('/private.bin'),
      '--dest',
      path.join(box.dest, 'never'),
      '--store',
      box.store,
      '--ca-file',
      file,
    ]);
    assert.equal(r.code, code, r.stderr);
    assert.match(r.stderr, message);
  }
  assert.equal(tls.requestsFor('/private.bin').length, 1, 'only the trusted get sent a request');
});
