// The validator's warnings reach the person running the CLI without --verbose: a pin set about to expire is
// exactly what must not scroll by unseen.
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../../support/cli';
import { sandbox, type Sandbox } from '../../support/engine';
import { startTlsServer, testBytes, type TestServer } from '../../support/servers';
import { tempWorkspace } from '../validator/fixtures';

let server: TestServer;
let box: Sandbox;
let dir: string;
let caFile: string;
let pin: string;

before(async () => {
  const { server: tls, ca, leaf } = await startTlsServer();
  server = tls;
  server.route('/w.bin', { body: testBytes(50_000, 41) });
  box = sandbox();
  dir = tempWorkspace();
  caFile = path.join(box.root, 'ca.pem');
  writeFileSync(caFile, ca.cert);
  const spki = new X509Certificate(leaf.cert).publicKey.export({ type: 'spki', format: 'der' });
  pin = `sha256/${createHash('sha256').update(spki).digest('base64')}`;
});
after(async () => {
  await server.close();
  await box.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

test('get --validator: a pin set that expires in a few days warns on stderr without --verbose; the download goes on', async () => {
  const expires = new Date(Date.now() + 5 * 86_400_000).toISOString().slice(0, 10);
  const file = path.join(dir, 'pins.ts');
  writeFileSync(
    file,
    `import { certificatePolicy, pinSet } from 'managed-downloads/validator';
export default certificatePolicy({
  rules: [pinSet({ name: 'loopback pins', hosts: ['127.0.0.1'], pins: [${JSON.stringify(pin)}], backupPins: ['sha256/I/AbicFDA/zN3ytG8ljuCXeuNuPHls76jkjrnugRCt0='], expires: '${expires}' })],
});
`,
  );
  const r = await runCli(['get', server.url('/w.bin'), '--dest', box.dest, '--store', box.store, '--validator', file], {
    NODE_EXTRA_CA_CERTS: caFile,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /\[warn\] \[Validator\] .*loopback pins expires in \d day\(s\), on \d{4}-\d\d-\d\d/);
  assert.doesNotMatch(r.stderr, /\[info\]/, 'info lines stay behind --verbose');
});
