// Client certificates inside a real VS Code, against an HTTPS server on 127.0.0.2 that requires a certificate
// from a client CA made at test time: the clear error when the job has none, then the API (PKCS#12 data and its
// passphrase in SecretStorage) and the command (PEM files), and nothing secret in the job store.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DownloadJob, ManagedDownloadsClient } from '../../../src/api';
import { JobState, SecurityFlags, type JobSnapshot } from '../../../src/core/model/job';
import { makeCA } from '../../support/certs';
import { makeClientMaterial, PASSPHRASE, startClientAuthServer, writeClientFiles, type ClientMaterial } from '../../support/client-certs';
import { testBytes, type TestServer } from '../../support/servers';
import { testFixture } from '../fixture';
import { cancelAllJobs, downloadFolder, extensionApi, waitForState } from './ui-support';

function storeText(root: string): string {
  let text = '';
  for (const name of fs.readdirSync(root)) {
    const p = path.join(root, name);
    text += fs.statSync(p).isDirectory() ? storeText(p) : fs.readFileSync(p, 'latin1');
  }
  return text;
}

describe('Client certificates', () => {
  let server: TestServer;
  let client: ManagedDownloadsClient;
  let material: ClientMaterial;
  let files: ReturnType<typeof writeClientFiles>;
  let dir: string;
  const body = testBytes(40_000, 5);

  before(async () => {
    material = makeClientMaterial();
    server = await startClientAuthServer(makeCA('Client-cert test server CA'), material.clientCa, { host: testFixture().serverHost });
    server.route('/mtls.bin', { body });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'md-it-client-cert-'));
    files = writeClientFiles(dir, material);
    client = (await extensionApi()).hooks.apiClientFor('tests.client-certificates');
  });
  after(async () => {
    const { engine } = await extensionApi();
    await cancelAllJobs(engine);
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The server's CA is unknown to VS Code: phase 1 allows it by flag, and an accepting API validator is phase 2. */
  async function job(name: string): Promise<DownloadJob> {
    const created = await client.createJob({ displayName: name, securityFlags: SecurityFlags.IGNORE_UNKNOWN_CA, minimumRetryDelay: 5 });
    await client.addFile(created.id, {
      remoteUrl: server.url('/mtls.bin'),
      localPath: path.join(downloadFolder('client-cert'), `${name}.bin`),
    });
    await client.setCertificateValidator(created.id, () => 0);
    return created;
  }

  it('fails at once with ERROR_WINHTTP_CLIENT_AUTH_CERT_NEEDED without one; the API sets PKCS#12 data and it downloads', async () => {
    const { engine, hooks } = await extensionApi();
    const { id } = await job('api-pfx');
    await client.resume(id);
    const failed = await waitForState(engine, id, JobState.ERROR);
    assert.equal(failed.error?.code, 0x80072f0c, failed.error?.description);
    assert.match(failed.error!.description, /requires a client certificate/);

    await assert.rejects(
      client.setClientCertificate(id, { pfx: material.alicePfx, passphrase: 'not it' }),
      (err: { code?: number; message?: string }) => {
        assert.equal(err.code, 0x80070056, err.message);
        assert.ok(!err.message?.includes('not it'));
        return true;
      },
    );
    const set = await client.setClientCertificate(id, { pfx: material.alicePfx, passphrase: PASSPHRASE });
    assert.equal(set.clientCertificate?.source, 'secretStorage');
    assert.match(set.clientCertificate!.subject, /CN=alice/);
    await client.resume(id);
    await waitForState(engine, id, JobState.TRANSFERRED);
    assert.equal(server.requests.at(-1)?.clientCertificate, 'alice');
    const stored = storeText(hooks.storeDir);
    assert.ok(stored.includes(set.clientCertificate!.sha1Thumbprint), 'the job records which certificate');
    assert.ok(!stored.includes(PASSPHRASE), 'never its passphrase');
    assert.ok(!stored.includes(material.alicePfx.toString('base64').slice(0, 40)), 'nor its data');
    await client.complete(id);
  });

  it('the command sets PEM files on a job, and removes the certificate again', async () => {
    const { engine } = await extensionApi();
    const { id } = await job('command-pem');
    const set = await vscode.commands.executeCommand<JobSnapshot>('managedDownloads.setClientCertificate', id, {
      certFile: files.cert,
      keyFile: files.key,
    });
    assert.equal(set.clientCertificate?.certFile, files.cert);
    await client.resume(id);
    await waitForState(engine, id, JobState.TRANSFERRED);
    const removed = await vscode.commands.executeCommand<JobSnapshot>('managedDownloads.setClientCertificate', id, null);
    assert.equal(removed.clientCertificate, undefined);
    assert.equal((await client.getJob(id))?.clientCertificate, undefined);
  });
});
