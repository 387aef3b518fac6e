// Options of `set` and the file options of `add`, each as real CLI processes against a real loopback server, each
// test written so that it fails if the option were ignored: `set --sha256` (a file's checksum changed after it was
// added, refused once the file is transferred).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../../support/cli';
import { sandbox } from '../../support/engine';
import { sha256, startServer, testBytes, type TestServer } from '../../support/servers';

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server.close());

function boxFor(t: { after: (fn: () => Promise<void>) => void }) {
  const box = sandbox();
  t.after(() => box.cleanup());
  return box;
}

/** Runs the CLI with --json; fails with its stderr when it exits otherwise than `code`. */
async function json(args: string[], code = 0, env: NodeJS.ProcessEnv = {}) {
  const r = await runCli([...args, '--json'], env);
  assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
  return { out: JSON.parse(r.stdout), stderr: r.stderr };
}

test('set --sha256 changes a file checksum until the file is transferred; then BG_E_INVALID_STATE', async (t) => {
  const box = boxFor(t);
  const body = testBytes(50_000, 71);
  const other = testBytes(20_000, 72);
  server.route('/sum/one.bin', { body });
  server.route('/sum/two.bin', { body: other });
  const store = ['--store', box.store];
  const { out: created } = await json(['create', ...store]);
  const id: string = created.id;
  // Added with a wrong digest: were `set --sha256` ignored, the transfer would end in ERROR (checksum mismatch).
  await json(['add', id, server.url('/sum/one.bin'), '--dest', box.dest, '--sha256', 'ab'.repeat(32), ...store]);
  const { out: fixed } = await json(['set', id, '--sha256', sha256(body).toUpperCase(), ...store]);
  assert.equal(fixed.files[0].sha256, sha256(body), 'a job of one file: --sha256 HEX names it');

  const resumed = await json(['resume', id, ...store]);
  assert.equal(resumed.out.state, 'TRANSFERRED', JSON.stringify(resumed.out.error));
  const late = await runCli(['set', id, '--sha256', 'none', ...store]);
  assert.equal(late.code, 2, late.stderr);
  assert.match(
    late.stderr,
    /BG_E_INVALID_STATE \(0x80200002\): File 0 of job .* is already transferred, so its checksum can no longer change/,
  );

  // A second file: the job has two now, so a digest must say which file (N as `info` numbers them).
  await json(['add', id, server.url('/sum/two.bin'), '--dest', box.dest, '--sha256', sha256(other), ...store]);
  const unsaid = await runCli(['set', id, '--sha256', sha256(other), ...store]);
  assert.equal(unsaid.code, 2);
  assert.match(unsaid.stderr, /has 2 files: say which with --sha256 N=HEX/);
  const { out: dropped } = await json(['set', id, '--sha256', '1=none', ...store]);
  assert.deepEqual(
    dropped.files.map((f: { sha256?: string }) => f.sha256 ?? null),
    [sha256(body), null],
    'file 1 lost its check; file 0 kept its own',
  );
  const bad = await runCli(['set', id, '--sha256', '1=xyz', ...store]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--sha256 needs 64 hex digits \(a sha256\), or none to drop the check \(got "xyz"\)/);
  const { out: done } = await json(['resume', id, ...store]);
  assert.equal(done.state, 'TRANSFERRED');
  const { out: completed } = await json(['complete', id, ...store]);
  assert.equal(completed.state, 'ACKNOWLEDGED');
  assert.equal(sha256(readFileSync(path.join(box.dest, 'one.bin'))), sha256(body));
  assert.equal(sha256(readFileSync(path.join(box.dest, 'two.bin'))), sha256(other));
});
