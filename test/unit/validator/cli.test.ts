// The CLI's --validator and rejections: the same compiler, worker and rules as the editor, as a black box.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../../support/cli';
import { listNames } from '../../support/engine';
import { sha256, testBytes } from '../../support/servers';
import { cliValidatorWorld, writeCountingValidator, writePolicy } from './fixtures';

const body = testBytes(90_000, 31);
const world = cliValidatorWorld({ '/v.bin': body });

test('get --validator: a decline fails with context 8 and the code; rejections shows it; a broken file is INTERFACE_REQUIRED until fixed, then resume succeeds', async () => {
  const env = { NODE_EXTRA_CA_CERTS: world.caFile };
  const v = writeCountingValidator(world.dir, "return { code: 0x800b0109, reason: 'not on the list' };");
  const declined = await runCli(
    [
      'get',
      world.server.url('/v.bin'),
      '--dest',
      world.box.dest,
      '--store',
      world.box.store,
      '--validator',
      v.file,
      '--no-progress-timeout',
      '0',
      '--json',
    ],
    env,
  );
  assert.equal(declined.code, 1, declined.stderr);
  const out = JSON.parse(declined.stdout || `{"stderr": ${JSON.stringify(declined.stderr)}}`);
  assert.ok(out.error, declined.stderr);
  assert.equal(out.error.contextName, 'SERVER_CERTIFICATE_CALLBACK');
  assert.equal(out.error.code, '0x800b0109');
  assert.match(out.error.description, /not on the list/);
  assert.equal(v.calls().length, 1);
  assert.equal(world.server.requestsFor('/v.bin').length, 0, 'no request reached the world.server');

  const rejections = await runCli(['rejections', '--store', world.box.store, '--json']);
  assert.equal(rejections.code, 0, rejections.stderr);
  const report = JSON.parse(rejections.stdout);
  assert.equal(report.endpoints[0].endpoint, new URL(world.server.url('/')).host);
  assert.equal(report.endpoints[0].count, 1);
  assert.equal(report.recent[0].phase, 'validator');
  const text = await runCli(['rejections', '--store', world.box.store]);
  assert.match(text.stdout, /1 {2}127\.0\.0\.1:\d+ {2}\(validator 1; 1 distinct certificate/);

  // A validator that does not compile: the job waits with INTERFACE_REQUIRED, which says where the error is.
  writePolicy(world.dir, 'return 0 +;');
  const dest2 = path.join(world.box.dest, 'second');
  const broken = await runCli(
    [
      'get',
      world.server.url('/v.bin'),
      '--dest',
      dest2,
      '--store',
      world.box.store,
      '--validator',
      v.file,
      '--no-progress-timeout',
      '0',
      '--json',
    ],
    env,
  );
  assert.equal(broken.code, 1, broken.stderr);
  const failed = JSON.parse(broken.stdout || `{"stderr": ${JSON.stringify(broken.stderr)}}`);
  assert.ok(failed.error, broken.stderr);
  assert.equal(failed.error.codeName, 'BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED');
  assert.match(failed.error.description, /policy\.ts:\d+:\d+/);
  // Fixed: resume with the validator finishes the job.
  writePolicy(world.dir, 'return 0;');
  const resumed = await runCli(['resume', failed.id, '--store', world.box.store, '--validator', v.file, '--json'], env);
  assert.equal(resumed.code, 0, resumed.stderr + resumed.stdout);
  assert.equal(sha256(readFileSync(path.join(dest2, 'v.bin'))), sha256(body));
  assert.deepEqual(listNames(dest2), ['v.bin']);
});
