// The CLI as a black box: real child processes against a real server, exit codes, output, and the store they
// leave behind; a process killed with SIGKILL mid-file whose job `run` finishes.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { collect, runCli, spawnCli } from '../../support/cli';
import { listNames, sandboxFor } from '../../support/engine';
import { serverForFile, sha256, startServer, testBytes, type TestServer } from '../../support/servers';
import { waitUntil } from '../../support/wait';

let server: TestServer;
const small = testBytes(150_000, 81);
before(async () => {
  server = await startServer();
  server.route('/small.bin', { body: small });
});
after(() => server.close());

test('get downloads to --dest, prints the path, exits 0 and leaves no temp file; list and info read the job', async (t) => {
  const box = sandboxFor(t);
  const r = await runCli(['get', server.url('/small.bin'), '--dest', box.dest, '--store', box.store, '--sha256', sha256(small)]);
  assert.equal(r.code, 0, r.stderr);
  const target = path.join(box.dest, 'small.bin');
  assert.equal(r.stdout.trim(), target);
  assert.match(
    r.stderr,
    new RegExp(`TRANSFERRED 1 file, ${(small.length / 1024).toFixed(1)} KiB in \\d+\\.\\ds \\(.+/s\\)\\n`),
    'a summary line for logs',
  );
  assert.equal(sha256(readFileSync(target)), sha256(small));
  assert.deepEqual(listNames(box.dest), ['small.bin']);

  const list = await runCli(['list', '--store', box.store, '--json']);
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual(JSON.parse(list.stdout).jobs, [], 'a completed job is not listed');
  const jobId = listNames(path.join(box.store, 'jobs'))[0].replace(/\.json$/, '');
  const info = await runCli(['info', jobId.slice(0, 8), '--store', box.store, '--json']);
  assert.equal(info.code, 0, info.stderr);
  const job = JSON.parse(info.stdout);
  assert.equal(job.state, 'ACKNOWLEDGED');
  assert.equal(job.owner, 'cli');
  assert.equal(job.files[0].bytesTotal, small.length);
});

test('a final failure exits 1 and prints state, context, code and description (one JSON object with --json)', async (t) => {
  const box = sandboxFor(t);
  const r = await runCli(['get', server.url('/missing.bin'), '--dest', box.dest, '--store', box.store, '--json']);
  assert.equal(r.code, 1);
  const out = JSON.parse(r.stdout);
  assert.equal(out.ok, false);
  assert.equal(out.state, 'ERROR');
  assert.deepEqual(
    { context: out.error.context, contextName: out.error.contextName, code: out.error.code, codeName: out.error.codeName },
    { context: 5, contextName: 'REMOTE_FILE', code: '0x80190194', codeName: 'BG_E_HTTP_ERROR_404' },
  );
  assert.match(out.error.description, /HTTP 404/);
  assert.match(r.stderr, /state ERROR, context REMOTE_FILE \(5\), code 0x80190194 BG_E_HTTP_ERROR_404/);
  const list = await runCli(['list', '--store', box.store]);
  assert.match(list.stdout, /ERROR/, 'the failed job stays in the store for resume or cancel');
});

test('--no-progress-timeout 0 makes the first transient error final, for scripts that must fail fast', async (t) => {
  const box = sandboxFor(t);
  server.route('/busy.bin', { status: 503, headers: { 'Retry-After': '600' } });
  const r = await runCli(['get', server.url('/busy.bin'), '--dest', box.dest, '--store', box.store, '--no-progress-timeout', '0']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /code 0x801901f7 BG_E_HTTP_ERROR_503/);
  assert.match(r.stderr, /first error is final/);
});

test('transient errors are retried and say so; a sha256 mismatch fails naming both digests', async (t) => {
  const box = sandboxFor(t);
  server.route('/flaky.bin', (n) => (n === 1 ? { status: 503 } : { body: small }));
  const ok = await runCli(['get', server.url('/flaky.bin'), '--dest', box.dest, '--store', box.store, '--retry-delay', '0.2']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stderr, /transient error, retrying in .*HTTP 503/);
  const wrong = 'a'.repeat(64);
  const bad = await runCli(['get', server.url('/small.bin'), '--dest', path.join(box.dest, 'x'), '--store', box.store, '--sha256', wrong]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /MD_E_HASH_MISMATCH/);
  assert.ok(bad.stderr.includes(wrong) && bad.stderr.includes(sha256(small)));
});

test('bad usage exits 2 with a message that says what to do, and starts nothing', async (t) => {
  const box = sandboxFor(t);
  const cases: [string[], RegExp][] = [
    [['get', '--store', box.store], /needs at least one URL/],
    [['get', 'ftp://example.com/f', '--store', box.store, '--dest', box.dest], /BG_E_PROTOCOL_NOT_AVAILABLE \(0x80200005\)/],
    [['list', '--validator', 'check.ts', '--store', box.store], /--validator does not apply to "list"/],
    [
      ['get', server.url('/small.bin'), server.url('/small.bin'), '--store', box.store, '--dest', box.dest],
      /would both be saved as small\.bin/,
    ],
    [['get', server.url('/small.bin'), '--sha256', 'ab', '--sha256', 'cd', '--store', box.store], /one --sha256 per URL/],
    [['get', server.url('/small.bin'), '--priority', 'urgent', '--store', box.store], /Unknown priority "urgent"/],
    [['list', '--dest', box.dest, '--store', box.store], /--dest does not apply to "list"/],
    [['frobnicate'], /Unknown command "frobnicate"/],
    [['info', 'nope', '--store', box.store], /No job nope/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  assert.deepEqual(listNames(box.dest), []);
  const list = await runCli(['list', '--store', box.store, '--json']);
  assert.deepEqual(JSON.parse(list.stdout).jobs, [], 'refused input leaves no job behind');
  const help = await runCli(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /managed-downloads get URL\.\.\./);
});

test('HTTPS from a private CA trusted through NODE_EXTRA_CA_CERTS', async (t) => {
  const box = sandboxFor(t);
  const { server: tls, caFile } = await serverForFile(t, box.root, '/secure.bin', small);
  // Phase-1 refusals are transient (retried, as the certificate gate decides); --no-progress-timeout 0 makes the first final.
  const untrusted = await runCli(['get', tls.url('/secure.bin'), '--dest', box.dest, '--store', box.store, '--no-progress-timeout', '0']);
  assert.equal(untrusted.code, 1);
  assert.match(untrusted.stderr, /context GENERAL_TRANSPORT \(6\), code 0x80072f0d ERROR_WINHTTP_SECURE_INVALID_CA/);
  const trusted = await runCli(['get', tls.url('/secure.bin'), '--dest', path.join(box.dest, 'ok'), '--store', box.store], {
    NODE_EXTRA_CA_CERTS: caFile,
  });
  assert.equal(trusted.code, 0, trusted.stderr);
  assert.equal(sha256(readFileSync(path.join(box.dest, 'ok', 'secure.bin'))), sha256(small));
});

test('a get killed with SIGKILL mid-file is finished by run: right sha256, no temp file left', async (t) => {
  const box = sandboxFor(t);
  const big = testBytes(24 * 1024 * 1024, 82);
  // Slow on the first request so the kill lands mid-file; full speed for the resumed one.
  server.route('/big.bin', (n) => (n === 1 ? { body: big, bytesPerSecond: 4 * 1024 * 1024 } : { body: big }));
  const child = spawnCli(['get', server.url('/big.bin'), '--dest', box.dest, '--store', box.store]);
  const exited = collect(child, 90_000);
  const temp = await waitUntil(
    'the transfer started',
    () => listNames(box.dest).find((n) => n.endsWith('.mddownload') && statSync(path.join(box.dest, n)).size >= 2 * 1024 * 1024),
    { timeoutMs: 45_000, intervalMs: 25 },
  );
  child.kill('SIGKILL');
  const killed = await exited;
  assert.equal(killed.signal, 'SIGKILL');
  const partial = statSync(path.join(box.dest, temp)).size;
  assert.ok(partial < big.length, `killed mid-file (${partial} of ${big.length} bytes)`);
  assert.equal(existsSync(path.join(box.dest, 'big.bin')), false, 'nothing at the final path before Complete');

  const run = await runCli(['run', '--store', box.store], {}, 60_000);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(sha256(readFileSync(path.join(box.dest, 'big.bin'))), sha256(big));
  assert.deepEqual(listNames(box.dest), ['big.bin'], 'no temp file left');
  const resumed = server.requestsFor('/big.bin')[1];
  assert.match(String(resumed.headers['range']), /^bytes=[1-9]\d*-$/, 'run continued from the bytes on disk');
  const again = await runCli(['run', '--store', box.store]);
  assert.equal(again.code, 0);
  assert.match(again.stderr, /Nothing to do/);
});

test('a corrupt job file in the store is reported by list, and the readable jobs are still listed', async (t) => {
  const box = sandboxFor(t);
  server.route('/stays.bin', { status: 404 });
  await runCli(['get', server.url('/stays.bin'), '--dest', box.dest, '--store', box.store]);
  writeFileSync(path.join(box.store, 'jobs', 'deadbeef-0000-4000-8000-000000000000.json'), '{"version":1,"job":');
  const list = await runCli(['list', '--store', box.store, '--json']);
  assert.equal(list.code, 0, list.stderr);
  const out = JSON.parse(list.stdout);
  assert.equal(out.jobs.length, 1);
  assert.equal(out.storeProblems.length, 1);
  assert.equal(out.storeProblems[0].codeName, 'MD_E_STORE_UNREADABLE');
  assert.match(list.stderr, /warning: MD_E_STORE_UNREADABLE: Job file .* could not be read .* set aside as/);
});

test('Ctrl-C (SIGINT) stops get with exit 130, keeping the bytes for run', async (t) => {
  const box = sandboxFor(t);
  const body = testBytes(3 * 1024 * 1024, 83);
  server.route('/interrupted.bin', (n) => (n === 1 ? { body, bytesPerSecond: 1024 * 1024 } : { body }));
  const child = spawnCli(['get', server.url('/interrupted.bin'), '--dest', box.dest, '--store', box.store]);
  const exited = collect(child);
  await waitUntil(
    'the transfer started',
    () => listNames(box.dest).some((n) => n.endsWith('.mddownload') && statSync(path.join(box.dest, n)).size > 256 * 1024),
    { timeoutMs: 20_000, intervalMs: 25 },
  );
  child.kill('SIGINT');
  const stopped = await exited;
  assert.equal(stopped.code, 130);
  assert.match(stopped.stderr, /interrupted: the job keeps its bytes; 'managed-downloads run' continues/);
  const run = await runCli(['run', '--store', box.store]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(sha256(readFileSync(path.join(box.dest, 'interrupted.bin'))), sha256(body));
  assert.match(String(server.requestsFor('/interrupted.bin')[1].headers['range']), /^bytes=[1-9]\d*-$/);
});

test('info, resume and cancel find a failed job by a prefix of its id (a job in ERROR is not a failed lookup)', async (t) => {
  const box = sandboxFor(t);
  server.route('/later.bin', (n) => (n === 1 ? { status: 404 } : { body: small }));
  const failed = await runCli(['get', server.url('/later.bin'), '--dest', box.dest, '--store', box.store, '--json']);
  assert.equal(failed.code, 1);
  const id: string = JSON.parse(failed.stdout).id;
  const info = await runCli(['info', id.slice(0, 6), '--store', box.store]);
  assert.equal(info.code, 1, 'info of a failed job exits 1');
  assert.match(info.stdout, /state: +ERROR/);
  assert.match(info.stdout, /code 0x80190194 BG_E_HTTP_ERROR_404/);
  const resumed = await runCli(['resume', id.slice(0, 6), '--store', box.store]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(sha256(readFileSync(path.join(box.dest, 'later.bin'))), sha256(small));
  const cancelled = await runCli(['cancel', id.slice(0, 6), '--store', box.store]);
  assert.equal(cancelled.code, 2, 'a completed job cannot be cancelled');
  assert.match(cancelled.stderr, /BG_E_INVALID_STATE .*it is ACKNOWLEDGED/);
});
