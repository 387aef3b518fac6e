// get --validator with a file whose top-level code never ends: the load is stopped at the validator time
// limit (5 s by default), the job fails with INTERFACE_REQUIRED saying where the file was stuck, the CLI
// exits (releasing the store), and the store serves the next command. It used to hang forever.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { makeCA, makeLeaf } from '../../support/certs';
import { runCli } from '../../support/cli';
import { sandbox, type Sandbox } from '../../support/engine';
import { startServer, testBytes, type TestServer } from '../../support/servers';
import { tempWorkspace } from '../validator/fixtures';

let server: TestServer;
let box: Sandbox;
let dir: string;
let caFile: string;

before(async () => {
  const ca = makeCA();
  const leaf = makeLeaf(ca, { hosts: ['127.0.0.1'] });
  server = await startServer({ tls: { cert: leaf.cert, key: leaf.key } });
  server.route('/l.bin', { body: testBytes(20_000, 43) });
  box = sandbox();
  dir = tempWorkspace();
  caFile = path.join(box.root, 'ca.pem');
  writeFileSync(caFile, ca.cert);
});
after(async () => {
  await server.close();
  await box.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

test('get --validator with a looping top level: INTERFACE_REQUIRED naming the line, the CLI exits, the store is free', async () => {
  const file = path.join(dir, 'loops.ts');
  writeFileSync(file, 'let turns = 0;\nwhile (turns >= 0) turns++;\nexport default function validate() { return 0; }\n');
  // runCli gives up (and fails the test) after 60 s; before the fix the CLI never ended.
  const r = await runCli(['get', server.url('/l.bin'), '--dest', box.dest, '--store', box.store, '--validator', file, '--no-progress-timeout', '0', '--json'], { NODE_EXTRA_CA_CERTS: caFile }, 60_000);
  assert.equal(r.code, 1, r.stderr);
  const out = JSON.parse(r.stdout || `{"stderr": ${JSON.stringify(r.stderr)}}`);
  assert.ok(out.error, r.stderr);
  assert.equal(out.error.codeName, 'BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED');
  assert.match(out.error.description, /did not finish loading within 5000 ms \(stuck at .*loops\.ts:2:\d+\); the validator process was stopped/);
  assert.equal(server.requestsFor('/l.bin').length, 0, 'no request reached the server');
  const list = await runCli(['list', '--store', box.store, '--json']);
  assert.equal(list.code, 0, list.stderr);
});
