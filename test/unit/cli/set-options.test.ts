// Options of `set` and `-i -`, each as real CLI processes against real loopback servers, each test written so that
// it fails if the option were ignored: `set --sha256` (a file's checksum changed after it was added, refused once
// the file is transferred), `set --client-cert` / `--no-client-cert` (a server that requires a certificate sees it,
// then refuses the job without it), `set --no-headers` (the header set at create is no longer sent), and
// `get -i -` (the URL list on standard input).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { makeCA } from '../../support/certs';
import { makeClientMaterial, startClientAuthServer, writeClientFiles } from '../../support/client-certs';
import { collect, REPO, runCli, runCliJson } from '../../support/cli';
import { sandboxFor } from '../../support/engine';
import { sha256, startServer, testBytes, type TestServer } from '../../support/servers';

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server.close());

test('set --sha256 changes a file checksum until the file is transferred; then BG_E_INVALID_STATE', async (t) => {
  const box = sandboxFor(t);
  const body = testBytes(50_000, 71);
  const other = testBytes(20_000, 72);
  server.route('/sum/one.bin', { body });
  server.route('/sum/two.bin', { body: other });
  const store = ['--store', box.store];
  const { out: created } = await runCliJson(['create', ...store]);
  const id: string = created.id;
  // Added with a wrong digest: were `set --sha256` ignored, the transfer would end in ERROR (checksum mismatch).
  await runCliJson(['add', id, server.url('/sum/one.bin'), '--dest', box.dest, '--sha256', 'ab'.repeat(32), ...store]);
  const { out: fixed } = await runCliJson(['set', id, '--sha256', sha256(body).toUpperCase(), ...store]);
  assert.equal(fixed.files[0].sha256, sha256(body), 'a job of one file: --sha256 HEX names it');

  const resumed = await runCliJson(['resume', id, ...store]);
  assert.equal(resumed.out.state, 'TRANSFERRED', JSON.stringify(resumed.out.error));
  const late = await runCli(['set', id, '--sha256', 'none', ...store]);
  assert.equal(late.code, 2, late.stderr);
  assert.match(
    late.stderr,
    /BG_E_INVALID_STATE \(0x80200002\): File 0 of job .* is already transferred, so its checksum can no longer change/,
  );

  // A second file: the job has two now, so a digest must say which file (N as `info` numbers them).
  await runCliJson(['add', id, server.url('/sum/two.bin'), '--dest', box.dest, '--sha256', sha256(other), ...store]);
  const unsaid = await runCli(['set', id, '--sha256', sha256(other), ...store]);
  assert.equal(unsaid.code, 2);
  assert.match(unsaid.stderr, /has 2 files: say which with --sha256 N=HEX/);
  const { out: dropped } = await runCliJson(['set', id, '--sha256', '1=none', ...store]);
  assert.deepEqual(
    dropped.files.map((f: { sha256?: string }) => f.sha256 ?? null),
    [sha256(body), null],
    'file 1 lost its check; file 0 kept its own',
  );
  const bad = await runCli(['set', id, '--sha256', '1=xyz', ...store]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--sha256 needs 64 hex digits \(a sha256\), or none to drop the check \(got "xyz"\)/);
  const { out: done } = await runCliJson(['resume', id, ...store]);
  assert.equal(done.state, 'TRANSFERRED');
  const { out: completed } = await runCliJson(['complete', id, ...store]);
  assert.equal(completed.state, 'ACKNOWLEDGED');
  assert.equal(sha256(readFileSync(path.join(box.dest, 'one.bin'))), sha256(body));
  assert.equal(sha256(readFileSync(path.join(box.dest, 'two.bin'))), sha256(other));
});

test('set --client-cert gives a job its certificate (the server sees it); set --no-client-cert takes it away', async (t) => {
  const box = sandboxFor(t);
  const serverCa = makeCA('set --client-cert server CA');
  const material = makeClientMaterial();
  const tls = await startClientAuthServer(serverCa, material.clientCa);
  t.after(() => tls.close());
  const body = testBytes(40_000, 73);
  tls.route('/auth/one.bin', { body });
  tls.route('/auth/two.bin', { body });
  const dir = mkdtempSync(path.join(tmpdir(), 'md-set-client-cert-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const files = writeClientFiles(dir, material);
  const caFile = path.join(dir, 'server-ca.pem');
  writeFileSync(caFile, serverCa.cert);
  const store = ['--store', box.store];

  const { out: created } = await runCliJson(['create', '--no-progress-timeout', '0', ...store]);
  const id: string = created.id;
  await runCliJson(['add', id, tls.url('/auth/one.bin'), '--dest', box.dest, ...store]);
  const { out: withCert } = await runCliJson(['set', id, '--client-cert', files.cert, '--client-key', files.key, ...store]);
  assert.match(withCert.clientCertificate?.subject ?? '', /alice/);
  const sent = await runCliJson(['resume', id, '--ca-file', caFile, ...store]);
  assert.equal(sent.out.state, 'TRANSFERRED', JSON.stringify(sent.out.error));
  assert.equal(tls.requests.at(-1)?.clientCertificate, 'alice', 'the server saw the certificate set later');

  const { out: without } = await runCliJson(['set', id, '--no-client-cert', ...store]);
  assert.equal(without.clientCertificate, undefined);
  await runCliJson(['add', id, tls.url('/auth/two.bin'), '--dest', box.dest, ...store]);
  const refused = await runCli(['resume', id, '--ca-file', caFile, ...store]);
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, /ERROR_WINHTTP_CLIENT_AUTH_CERT_NEEDED/, 'no certificate any more: the server refuses the job');
});

test('set --no-headers removes the headers given at create: the next request sends none of them', async (t) => {
  const box = sandboxFor(t);
  const body = testBytes(30_000, 74);
  server.route('/headers/one.bin', { body });
  server.route('/headers/two.bin', { body });
  const store = ['--store', box.store];
  const { out: created } = await runCliJson(['create', '--header', 'X-Trace: 42', '--header', 'X-Team: downloads', ...store]);
  const id: string = created.id;
  assert.deepEqual(created.headers, ['X-Trace', 'X-Team']);
  await runCliJson(['add', id, server.url('/headers/one.bin'), '--dest', box.dest, ...store]);
  await runCliJson(['resume', id, ...store]);
  assert.equal(server.requestsFor('/headers/one.bin')[0].headers['x-trace'], '42', 'sent while the job has it');

  const { out: cleared } = await runCliJson(['set', id, '--no-headers', ...store]);
  assert.deepEqual(cleared.headers, []);
  await runCliJson(['add', id, server.url('/headers/two.bin'), '--dest', box.dest, ...store]);
  await runCliJson(['resume', id, ...store]);
  const request = server.requestsFor('/headers/two.bin')[0];
  assert.ok(request, 'the second file was fetched');
  assert.deepEqual([request.headers['x-trace'], request.headers['x-team']], [undefined, undefined]);
});

test('get -i - reads the URL list from standard input (comments and blank lines skipped)', async (t) => {
  const box = sandboxFor(t);
  const one = testBytes(15_000, 75);
  const two = testBytes(25_000, 76);
  server.route('/stdin/one.bin', { body: one });
  server.route('/stdin/two.bin', { body: two });
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(REPO, 'src', 'cli.ts'), 'get', '-i', '-', '--dest', box.dest, '--store', box.store],
    {
      cwd: REPO,
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  const done = collect(child);
  child.stdin.end(`# from a pipe\n${server.url('/stdin/one.bin')}\n\n${server.url('/stdin/two.bin')}\n`);
  const r = await done;
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), [path.join(box.dest, 'one.bin'), path.join(box.dest, 'two.bin')]);
  assert.equal(sha256(readFileSync(path.join(box.dest, 'one.bin'))), sha256(one));
  assert.equal(sha256(readFileSync(path.join(box.dest, 'two.bin'))), sha256(two));
});
