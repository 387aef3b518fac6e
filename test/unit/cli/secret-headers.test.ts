// Issue 15: a job whose write-only headers live where the CLI cannot read them (VS Code's SecretStorage, or the
// process that made it) is not sent without them: resume and run name the headers and send nothing, unless
// MANAGED_DOWNLOADS_HEADERS gives the values or --without-secret-headers says to go without.
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { collect, runCli, spawnCli } from '../../support/cli';
import { listNames, sandboxFor } from '../../support/engine';
import { sha256, startServer, testBytes, type TestServer } from '../../support/servers';
import { waitUntil } from '../../support/wait';

let server: TestServer;
const body = testBytes(60_000, 41);
const TOKEN = 'Bearer s3cret-token-41';
before(async () => {
  server = await startServer();
});
after(() => server.close());

test('resume of a job with a write-only header it has no value for names it and sends nothing; the env or --without-secret-headers let it go', async (t) => {
  const box = sandboxFor(t);
  server.route('/guarded.bin', { body });
  // What a job made in VS Code with a write-only header looks like in the store: the name, never the value.
  const created = await runCli(['create', '--store', box.store, '--header', `Authorization: ${TOKEN}`, '--header', 'X-Plain: 1']);
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stderr, /Authorization is a write-only header: the job records the name only/);
  const id = created.stdout.trim();
  assert.equal((await runCli(['add', id, server.url('/guarded.bin'), '--dest', box.dest, '--store', box.store])).code, 0);
  assert.ok(!readFileSync(path.join(box.store, 'jobs', `${id}.json`), 'utf8').includes('s3cret'), 'the value is not stored');

  const refused = await runCli(['resume', id, '--store', box.store, '--json']);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(
    refused.stderr,
    /has write-only header Authorization whose value this process does not have .*so its requests were not sent\. Put it in MANAGED_DOWNLOADS_HEADERS .* or pass --without-secret-headers/,
  );
  assert.equal(JSON.parse(refused.stdout).ok, false);
  assert.equal(server.requestsFor('/guarded.bin').length, 0, 'no request went out without the header');

  const given = await runCli(['resume', id, '--store', box.store], { MANAGED_DOWNLOADS_HEADERS: `Authorization: ${TOKEN}` });
  assert.equal(given.code, 0, given.stderr);
  const sent = server.requestsFor('/guarded.bin')[0].headers;
  assert.deepEqual([sent['authorization'], sent['x-plain']], [TOKEN, '1']);
  assert.ok(!(given.stdout + given.stderr).includes('s3cret'));

  // --without-secret-headers: the person chose to send it without (a public mirror, say).
  const second = await runCli(['create', '--store', box.store, '--header', 'Authorization: x']);
  const other = second.stdout.trim();
  assert.equal(
    (await runCli(['add', other, server.url('/guarded.bin'), '--dest', path.join(box.dest, 'b'), '--store', box.store])).code,
    0,
  );
  const without = await runCli(['resume', other, '--store', box.store, '--without-secret-headers']);
  assert.equal(without.code, 0, without.stderr);
  assert.match(without.stderr, /runs without its write-only header Authorization \(--without-secret-headers\)/);
  assert.equal(server.requestsFor('/guarded.bin')[1].headers['authorization'], undefined);
});

test('run leaves a job whose write-only header it lacks alone, says so and exits 1; with the value it finishes the job', async (t) => {
  const box = sandboxFor(t);
  const big = testBytes(3 * 1024 * 1024, 42);
  server.route('/token.bin', (n) => (n === 1 ? { body: big, bytesPerSecond: 1024 * 1024 } : { body: big }));
  const env = { MANAGED_DOWNLOADS_HEADERS: `Authorization: ${TOKEN}` };
  const child = spawnCli(['get', server.url('/token.bin'), '--dest', box.dest, '--store', box.store], env);
  const exited = collect(child);
  await waitUntil(
    'the transfer started',
    () => listNames(box.dest).some((n) => n.endsWith('.mddownload') && statSync(path.join(box.dest, n)).size > 128 * 1024),
    { timeoutMs: 20_000 },
  );
  child.kill('SIGINT');
  assert.equal((await exited).code, 130);

  const held = await runCli(['run', '--store', box.store, '--json']);
  assert.equal(held.code, 1, held.stderr);
  assert.match(held.stderr, /has write-only header Authorization whose value this process does not have/);
  const out = JSON.parse(held.stdout);
  assert.deepEqual(
    out.map((j: { ok: boolean; missingSecretHeaders: string[] }) => [j.ok, j.missingSecretHeaders]),
    [[false, ['Authorization']]],
  );
  assert.equal(server.requestsFor('/token.bin').length, 1, 'run sent nothing for it');

  const run = await runCli(['run', '--store', box.store], env);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(sha256(readFileSync(path.join(box.dest, 'token.bin'))), sha256(big));
  const resumed = server.requestsFor('/token.bin')[1];
  assert.equal(resumed.headers['authorization'], TOKEN);
  assert.match(String(resumed.headers['range']), /^bytes=[1-9]\d*-$/, 'from the bytes it had');
});
