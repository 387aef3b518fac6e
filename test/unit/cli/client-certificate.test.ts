// Client certificates from the command line (--client-cert/--client-key, --client-pfx, the passphrase from an
// environment variable, never an argument), as real CLI processes against a real HTTPS server on loopback that
// requires a certificate from a client CA made at test time.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { makeCA } from '../../support/certs';
import { makeClientMaterial, PASSPHRASE, startClientAuthServer, writeClientFiles } from '../../support/client-certs';
import { REPO, runCli } from '../../support/cli';
import { listNames, sandboxFor } from '../../support/engine';
import { sha256, testBytes, type TestServer } from '../../support/servers';
import { allFileText } from '../../support/store';

const body = testBytes(120_000, 21);
let server: TestServer;
let dir: string;
let caFile: string;
let files: ReturnType<typeof writeClientFiles>;

before(async () => {
  const serverCa = makeCA('CLI test server CA');
  const material = makeClientMaterial();
  server = await startClientAuthServer(serverCa, material.clientCa);
  server.route('/file.bin', { body });
  dir = mkdtempSync(path.join(tmpdir(), 'md-cli-client-cert-'));
  files = writeClientFiles(dir, material);
  caFile = path.join(dir, 'server-ca.pem');
  writeFileSync(caFile, serverCa.cert);
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const jobFiles = (store: string) => listNames(path.join(store, 'jobs')).filter((n) => n.endsWith('.json'));

test('get --client-cert --client-key: the server sees the certificate and the file arrives', async (t) => {
  const box = sandboxFor(t);
  const r = await runCli(
    ['get', server.url('/file.bin'), '--dest', box.dest, '--store', box.store, '--client-cert', files.cert, '--client-key', files.key],
    { NODE_EXTRA_CA_CERTS: caFile },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.equal(sha256(readFileSync(path.join(box.dest, 'file.bin'))), sha256(body));
  assert.equal(server.requests.at(-1)?.clientCertificate, 'alice');
});

test('get --client-pfx with --client-cert-passphrase-env: downloads; the passphrase is in no file of the store', async (t) => {
  const box = sandboxFor(t);
  const r = await runCli(
    [
      'get',
      server.url('/file.bin'),
      '--dest',
      box.dest,
      '--store',
      box.store,
      '--client-pfx',
      files.pfx,
      '--client-cert-passphrase-env',
      'MY_P12_PASS',
    ],
    {
      NODE_EXTRA_CA_CERTS: caFile,
      MY_P12_PASS: PASSPHRASE,
    },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.equal(sha256(readFileSync(path.join(box.dest, 'file.bin'))), sha256(body));
  const stored = allFileText(box.store);
  assert.ok(stored.includes(files.pfx), 'the job records the path');
  assert.ok(!stored.includes(PASSPHRASE), 'never the passphrase');
  assert.ok(!r.stderr.includes(PASSPHRASE) && !r.stdout.includes(PASSPHRASE));
});

test('a passphrase that is needed and not given, or wrong, stops before any job exists, with a clear message', async (t) => {
  const box = sandboxFor(t);
  // stdin is not a terminal here, so there is nobody to ask.
  const none = await runCli(['get', server.url('/file.bin'), '--dest', box.dest, '--store', box.store, '--client-pfx', files.pfx], {
    NODE_EXTRA_CA_CERTS: caFile,
    MANAGED_DOWNLOADS_CLIENT_CERT_PASSPHRASE: '',
  });
  assert.equal(none.code, 2, none.stderr);
  assert.match(none.stderr, /passphrase/);
  const missing = await runCli(['get', server.url('/file.bin'), '--dest', box.dest, '--store', box.store, '--client-pfx', files.pfx], {
    NODE_EXTRA_CA_CERTS: caFile,
  });
  assert.equal(missing.code, 2, missing.stderr);
  assert.match(missing.stderr, /protected by a passphrase.*--client-cert-passphrase-env NAME/);
  const wrong = await runCli(
    [
      'get',
      server.url('/file.bin'),
      '--dest',
      box.dest,
      '--store',
      box.store,
      '--client-cert',
      files.cert,
      '--client-key',
      files.encryptedKey,
      '--client-cert-passphrase-env',
      'P',
    ],
    { NODE_EXTRA_CA_CERTS: caFile, P: 'not the passphrase' },
  );
  assert.equal(wrong.code, 2, wrong.stderr);
  assert.match(
    wrong.stderr,
    /E_INVALID_PASSWORD \(0x80070056\): The private key in .*alice\.enc\.key could not be opened with the passphrase given: the passphrase is wrong/,
  );
  assert.ok(!wrong.stderr.includes('not the passphrase'));
  const mismatch = await runCli(
    ['get', server.url('/file.bin'), '--dest', box.dest, '--store', box.store, '--client-cert', files.cert, '--client-key', files.strayKey],
    { NODE_EXTRA_CA_CERTS: caFile },
  );
  assert.equal(mismatch.code, 2, mismatch.stderr);
  assert.match(mismatch.stderr, /does not match the certificate/);
  const absent = await runCli(
    ['get', server.url('/file.bin'), '--dest', box.dest, '--store', box.store, '--client-cert', path.join(dir, 'absent.pem')],
    { NODE_EXTRA_CA_CERTS: caFile },
  );
  // E_FILE_NOT_FOUND is one of the codes the CLI reports as the machine's failure, exit 1 (src/cli/error-report.ts).
  assert.equal(absent.code, 1, absent.stderr);
  assert.match(absent.stderr, /absent\.pem does not exist/);
  assert.deepEqual(jobFiles(box.store), [], 'no job was left behind');
});

test('no certificate for a server that requires one: exit 1 at once with ERROR_WINHTTP_CLIENT_AUTH_CERT_NEEDED, no retry', async (t) => {
  const box = sandboxFor(t);
  const r = await runCli(['get', server.url('/file.bin'), '--dest', box.dest, '--store', box.store, '--retry-delay', '0'], {
    NODE_EXTRA_CA_CERTS: caFile,
  });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /state ERROR, context GENERAL_TRANSPORT \(6\), code 0x80072f0c ERROR_WINHTTP_CLIENT_AUTH_CERT_NEEDED/);
  assert.match(r.stderr, /requires a client certificate.*this job has none.*--client-cert or --client-pfx/s);
});

test('usage: --client-key without --client-cert, --client-pfx with --client-cert, the options elsewhere', async (t) => {
  const box = sandboxFor(t);
  const keyOnly = await runCli(['get', server.url('/file.bin'), '--client-key', files.key]);
  assert.equal(keyOnly.code, 2);
  assert.match(keyOnly.stderr, /--client-key needs --client-cert/);
  const both = await runCli(['get', server.url('/file.bin'), '--client-pfx', files.pfx, '--client-cert', files.cert]);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /either --client-pfx FILE \(PKCS#12\) or --client-cert FILE/);
  const list = await runCli(['list', '--client-cert', files.cert]);
  assert.equal(list.code, 2);
  assert.match(list.stderr, /--client-cert does not apply to "list"/);
  const unset = await runCli([
    'get',
    server.url('/file.bin'),
    '--dest',
    box.dest,
    '--store',
    box.store,
    '--client-pfx',
    files.pfx,
    '--client-cert-passphrase-env',
    'MD_TEST_SURELY_UNSET',
  ]);
  assert.equal(unset.code, 2);
  assert.match(unset.stderr, /MD_TEST_SURELY_UNSET, which is not set/);
});

test('on a terminal, the passphrase is asked for without echo (a pseudo-terminal through script(1))', async (t) => {
  const { spawn, spawnSync } = await import('node:child_process');
  if (spawnSync('script', ['--version']).status !== 0) return t.skip('no script(1) on this machine');
  const box = sandboxFor(t);
  const cli = [
    process.execPath,
    '--import',
    'tsx',
    path.join(REPO, 'src', 'cli.ts'),
    'get',
    server.url('/file.bin'),
    '--dest',
    box.dest,
    '--store',
    box.store,
    '--client-pfx',
    files.pfx,
  ].join(' ');
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_EXTRA_CA_CERTS: caFile };
  delete env.MANAGED_DOWNLOADS_CLIENT_CERT_PASSPHRASE;
  const child = spawn('script', ['-qec', cli, '/dev/null'], { cwd: REPO, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  const asked = new Promise<void>((resolve) =>
    child.stdout.on('data', (d: Buffer) => (output += d.toString()).includes('Passphrase of the client certificate') && resolve()),
  );
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  await Promise.race([asked, exited]);
  assert.match(output, /Passphrase of the client certificate/, 'asked on the terminal');
  child.stdin.write(PASSPHRASE + '\r');
  assert.equal(await exited, 0, output);
  assert.equal(sha256(readFileSync(path.join(box.dest, 'file.bin'))), sha256(body));
  assert.ok(!output.includes(PASSPHRASE), 'the passphrase was not echoed');
});
