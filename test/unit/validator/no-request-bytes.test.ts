// No request byte before acceptance, for the case the tls and validator suites leave out: a job that needs the
// workspace validator when none can run (missing, compile error, untrusted workspace) fails with
// BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED, and the server records zero bytes after the handshake.
// (Phase-1 failures: test/unit/core/tls/phase1.test.ts; declines and time-outs: test/unit/validator/phase2.test.ts; with
// no validator configured at all, phase 1 decides alone: test/unit/core/tls/phase2-every-job.test.ts.)
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Codes } from '../../../src/core/errors';
import { makeCA, makeLeaf, type Issued } from '../../support/certs';
import { fakeJob, get, startRecordingServer, type RecordingServer } from '../core/tls/helpers';
import { makeGate, tempWorkspace } from './fixtures';

let ca: Issued;
let server: RecordingServer;
before(async () => {
  ca = makeCA();
  const leaf = makeLeaf(ca, { hosts: ['127.0.0.1'] });
  server = await startRecordingServer(leaf.cert, leaf.key);
});
after(() => server.close());

test('INTERFACE_REQUIRED (missing, compile error, untrusted): zero request bytes reach the server', async () => {
  const gate = makeGate(ca.cert);
  const dir = tempWorkspace();
  try {
    const job = fakeJob({ validator: 'workspace' });
    const url = `https://127.0.0.1:${server.port}/file`;
    const broken = join(dir, 'broken.ts');
    writeFileSync(broken, 'export default function (: {\n');
    const good = join(dir, 'good.ts');
    writeFileSync(good, 'export default function validate() { return 0; }\n');
    const cases: [string, () => Promise<unknown>][] = [
      ['missing file', () => gate.controller.configure({ file: join(dir, 'nowhere.ts'), trusted: true })],
      ['compile error', () => gate.controller.configure({ file: broken, trusted: true })],
      ['untrusted workspace', () => gate.controller.configure({ file: good, trusted: false })],
    ];
    for (const [name, configure] of cases) {
      await configure();
      gate.provider.closeJobConnections(job.id);
      const bytesBefore = server.received().length;
      const answer = await get(gate.provider.agentFor(job, 'https:'), url, job.id);
      assert.equal(answer.error?.code, Codes.BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED, `${name}: ${answer.error?.message}`);
      assert.equal(server.received().length, bytesBefore, `${name}: no request byte may reach the server`);
    }
    // The control: a loaded validator lets the request through, so the server does record requests.
    await gate.controller.configure({ file: good, trusted: true });
    gate.provider.closeJobConnections(job.id);
    const bytesBefore = server.received().length;
    assert.equal((await get(gate.provider.agentFor(job, 'https:'), url, job.id)).status, 200);
    assert.ok(server.received().length > bytesBefore);
  } finally {
    await gate.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
