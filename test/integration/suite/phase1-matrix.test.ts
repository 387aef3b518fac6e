// Phase 1 inside a real VS Code (issue 14, item 2): cases of the certificate matrix (test/unit/core/tls/matrix.test.ts)
// through the extension's own gate, on jobs made with the public API, against servers on 127.0.0.2 (the path
// real hosts take). The matrix's root is trusted in phase 1 (managedDownloads.extraCaFiles); the verdicts are
// the unit matrix's: OpenSSL's, relaxed only by the flag that names the failure.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ManagedDownloadsClient } from '../../../src/api';
import { Codes, formatCode } from '../../../src/core/errors';
import { SecurityFlags } from '../../../src/core/model/job';
import { startServer, testBytes, type TestServer } from '../../support/servers';
import { makeCert, type Made } from '../../support/x509';
import { EXTENSION_ID } from '../extension-under-test';
import { testFixture } from '../fixture';
import { cancelAllJobs, downloadFolder, extensionApi, setSetting, waitFor } from './ui-support';

const EVERY_RELAXING =
  SecurityFlags.IGNORE_CERT_CN_INVALID |
  SecurityFlags.IGNORE_CERT_DATE_INVALID |
  SecurityFlags.IGNORE_UNKNOWN_CA |
  SecurityFlags.IGNORE_CERT_WRONG_USAGE;
const DAY = 24 * 3600 * 1000;

describe('Phase 1 in VS Code: the certificate matrix through the extension gate', () => {
  const host = testFixture().serverHost;
  const body = testBytes(10_000, 21);
  const root = makeCert({ cn: 'VS Code Matrix Root', ca: true, notAfter: new Date(Date.now() + 365 * DAY) });
  const inter = makeCert({ cn: 'VS Code Matrix Intermediate', ca: true, issuer: root });
  const servers: TestServer[] = [];
  let client: ManagedDownloadsClient;

  before(async () => {
    const caFile = path.join(testFixture().workspaceFolder, '.vscode', 'matrix-root.pem');
    fs.mkdirSync(path.dirname(caFile), { recursive: true });
    fs.writeFileSync(caFile, root.cert);
    await setSetting('extraCaFiles', ['.vscode/matrix-root.pem']);
    await setSetting('certificateValidator', undefined);
    client = (await extensionApi()).api.forExtension(EXTENSION_ID);
  });
  after(async () => {
    await setSetting('extraCaFiles', undefined);
    await cancelAllJobs((await extensionApi()).engine);
    await Promise.all(servers.map((s) => s.close()));
  });

  async function verdict(
    name: string,
    chain: Made[],
    securityFlags: number,
  ): Promise<{ state: string; code?: string; description?: string }> {
    const server = await startServer({ host, tls: { cert: chain.map((c) => c.cert).join(''), key: chain[0].key } });
    servers.push(server);
    server.route('/m.bin', { body });
    const job = await client.createJob({ displayName: `matrix: ${name}`, securityFlags, noProgressTimeout: 0 });
    await client.addFile(job.id, {
      remoteUrl: server.url('/m.bin'),
      localPath: path.join(downloadFolder('matrix'), `${name.replace(/\W+/g, '-')}-${securityFlags}.bin`),
    });
    await client.resume(job.id);
    const settled = await waitFor(`${name} to settle`, async () => {
      const j = await client.getJob(job.id);
      return j && ['ERROR', 'TRANSIENT_ERROR', 'TRANSFERRED'].includes(j.state) ? j : undefined;
    });
    if (settled.state !== 'TRANSFERRED')
      assert.equal(server.requests.length, 0, `${name}: a request reached a server whose certificate failed phase 1`);
    return {
      state: settled.state,
      code: settled.error ? formatCode(settled.error.code) : undefined,
      description: settled.error?.description,
    };
  }

  it('a good chain transfers; an expired one fails with CERT_DATE_INVALID and transfers with 0x4 only', async () => {
    const good = makeCert({ sans: [host], issuer: inter });
    assert.equal((await verdict('good', [good, inter], 0)).state, 'TRANSFERRED');
    const expired = makeCert({
      sans: [host],
      issuer: inter,
      notBefore: new Date(Date.now() - 60 * DAY),
      notAfter: new Date(Date.now() - DAY),
    });
    const refused = await verdict('expired', [expired, inter], 0);
    assert.equal(refused.code, formatCode(Codes.ERROR_WINHTTP_SECURE_CERT_DATE_INVALID), refused.description);
    assert.match(refused.description ?? '', /certificate date invalid/);
    assert.equal((await verdict('expired', [expired, inter], SecurityFlags.IGNORE_CERT_DATE_INVALID)).state, 'TRANSFERRED');
  });

  it('a SHA-1 intermediate and a name-constraint violation fail under every relaxing flag, named', async () => {
    const sha1Inter = makeCert({ cn: 'SHA-1 Intermediate', ca: true, issuer: root, hash: 'sha1' });
    const weak = await verdict('sha1 intermediate', [makeCert({ sans: [host], issuer: sha1Inter }), sha1Inter], EVERY_RELAXING);
    assert.equal(weak.code, formatCode(Codes.ERROR_WINHTTP_SECURE_INVALID_CERT), weak.description);
    assert.match(weak.description ?? '', /SHA-1/);
    const constrained = makeCert({ cn: 'Constrained Intermediate', ca: true, issuer: root, permittedDns: ['allowed.test'] });
    const outside = await verdict('name constraints', [makeCert({ sans: [host], issuer: constrained }), constrained], EVERY_RELAXING);
    assert.equal(outside.code, formatCode(Codes.ERROR_WINHTTP_SECURE_INVALID_CERT), outside.description);
    assert.match(outside.description ?? '', /name constraints/);
  });
});
