// get --validator with a file whose top-level code never ends: the load is stopped at the validator time
// limit (5 s by default), the job fails with INTERFACE_REQUIRED saying where the file was stuck, the CLI
// exits (releasing the store), and the store serves the next command. It used to hang forever.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { runCli } from '../../support/cli';
import { testBytes } from '../../support/servers';
import { cliValidatorWorld } from '../validator/fixtures';

const world = cliValidatorWorld({ '/l.bin': testBytes(20_000, 43) });

test('get --validator with a looping top level: INTERFACE_REQUIRED naming the line, the CLI exits, the store is free', async () => {
  const file = path.join(world.dir, 'loops.ts');
  writeFileSync(file, 'let turns = 0;\nwhile (turns >= 0) turns++;\nexport default function validate() { return 0; }\n');
  // runCli gives up (and fails the test) after 60 s; before the fix the CLI never ended.
  const r = await runCli(
    [
      'get',
      world.server.url('/l.bin'),
      '--dest',
      world.box.dest,
      '--store',
      world.box.store,
      '--validator',
      file,
      '--no-progress-timeout',
      '0',
      '--json',
    ],
    { NODE_EXTRA_CA_CERTS: world.caFile },
    60_000,
  );
  assert.equal(r.code, 1, r.stderr);
  const out = JSON.parse(r.stdout || `{"stderr": ${JSON.stringify(r.stderr)}}`);
  assert.ok(out.error, r.stderr);
  assert.equal(out.error.codeName, 'BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED');
  assert.match(
    out.error.description,
    /did not finish loading within 5000 ms \(stuck at .*loops\.ts:2:\d+\); the validator process was stopped/,
  );
  assert.equal(world.server.requestsFor('/l.bin').length, 0, 'no request reached the world.server');
  const list = await runCli(['list', '--store', world.box.store, '--json']);
  assert.equal(list.code, 0, list.stderr);
});
