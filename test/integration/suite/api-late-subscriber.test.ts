// Issue 15 in a real VS Code: an extension that subscribes after its job reached TRANSFERRED or ERROR (as after a
// window reload) still learns of it; an API job can ask to complete by itself, also once it waits in TRANSFERRED;
// a file's checksum can change until it arrives; a write-only header changed in the SecretStorage behind this
// window's back (as another window of the editor does: they share it) is the one the next request sends.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DownloadJob, DownloadJobEvent, ManagedDownloadsClient } from '../../../src/api';
import type { Event } from 'vscode';
import { startServer, testBytes } from '../../support/servers';
import { EXTENSION_ID } from '../extension-under-test';
import { testFixture } from '../fixture';
import { cancelAllJobs, content, downloadFolder, extensionApi, sha256, TestServer, waitFor } from './ui-support';

/** Subscribes now and collects what the event says of `jobId`. */
function listen(event: Event<DownloadJobEvent>, jobId: string): { heard: DownloadJob[]; dispose(): void } {
  const heard: DownloadJob[] = [];
  const subscription = event((e) => {
    if (e.job.id === jobId) heard.push(e.job);
  });
  return { heard, dispose: () => subscription.dispose() };
}

describe('API: late subscribers, auto-complete, secrets shared by windows', () => {
  let server: TestServer;
  let client: ManagedDownloadsClient;

  before(async () => {
    server = await new TestServer().start();
    const { api } = await extensionApi();
    client = api.forExtension(EXTENSION_ID);
  });
  after(async () => {
    const { engine } = await extensionApi();
    await cancelAllJobs(engine);
    await server.stop();
  });

  it('a listener that subscribes after the job reached TRANSFERRED is told of it, once', async () => {
    const job = await client.createJob({ displayName: 'Transferred before anyone listened' });
    await client.addFile(job.id, {
      remoteUrl: server.url('/file/late.bin?size=4096'),
      localPath: path.join(downloadFolder('api-late'), 'late.bin'),
    });
    await client.resume(job.id);
    await waitFor('the job to transfer with nobody listening', async () => (await client.getJob(job.id))?.state === 'TRANSFERRED');

    const late = listen(client.onDidTransfer, job.id);
    try {
      const heard = await waitFor('onDidTransfer for a job that transferred before the listener came', () => late.heard[0]);
      assert.equal(heard.state, 'TRANSFERRED');
      // A progress-free change of the job (a new name) is no new arrival: not announced again.
      const { engine } = await extensionApi();
      await engine.setProperties(job.id, { displayName: 'Renamed while waiting' });
      await waitFor('the rename to be seen', async () => (await client.getJob(job.id))?.displayName === 'Renamed while waiting');
      assert.equal(late.heard.length, 1, 'heard once');
      await client.complete(job.id);
    } finally {
      late.dispose();
    }
  });

  it('a listener that subscribes after the job reached ERROR is told of it', async () => {
    const job = await client.createJob({ displayName: 'Failed before anyone listened' });
    await client.addFile(job.id, {
      remoteUrl: server.url('/status/404/late.bin'),
      localPath: path.join(downloadFolder('api-late-error'), 'late.bin'),
    });
    await client.resume(job.id);
    await waitFor('the job to fail with nobody listening', async () => (await client.getJob(job.id))?.state === 'ERROR');

    const late = listen(client.onDidError, job.id);
    try {
      const heard = await waitFor('onDidError for a job that failed before the listener came', () => late.heard[0]);
      assert.deepEqual([heard.state, heard.error?.codeName], ['ERROR', 'BG_E_HTTP_ERROR_404']);
    } finally {
      late.dispose();
    }
  });

  it('autoComplete at createJob completes the job by itself, files in place', async () => {
    const target = path.join(downloadFolder('api-auto'), 'auto.bin');
    const job = await client.createJob({ displayName: 'Auto-complete', autoComplete: true });
    assert.equal(job.autoComplete, true);
    await client.addFile(job.id, { remoteUrl: server.url('/file/auto.bin?size=8192'), localPath: target });
    await client.resume(job.id);
    await waitFor('the job to complete by itself', async () => (await client.getJob(job.id))?.state === 'ACKNOWLEDGED');
    assert.equal(sha256(fs.readFileSync(target)), sha256(content(8192)));
  });

  it('setAutoComplete on a job that waits in TRANSFERRED completes it; bad input is refused', async () => {
    const target = path.join(downloadFolder('api-auto-late'), 'auto-late.bin');
    const job = await client.createJob({ displayName: 'Auto-complete later' });
    assert.equal(job.autoComplete, false);
    await client.addFile(job.id, { remoteUrl: server.url('/file/auto-late.bin?size=8192'), localPath: target });
    await client.resume(job.id);
    await waitFor('the job to transfer', async () => (await client.getJob(job.id))?.state === 'TRANSFERRED');
    await assert.rejects(
      client.setAutoComplete(job.id, 'yes' as never),
      (err: { name?: string; code?: number }) => err.name === 'BitsError' && err.code === 0x80070057,
    );
    assert.equal((await client.setAutoComplete(job.id, true)).autoComplete, true);
    await waitFor('the waiting job to complete', async () => (await client.getJob(job.id))?.state === 'ACKNOWLEDGED');
    assert.equal(sha256(fs.readFileSync(target)), sha256(content(8192)));
  });

  it('setFileSha256 changes a checksum until the file is transferred, then refuses with BG_E_INVALID_STATE', async () => {
    const target = path.join(downloadFolder('api-checksum'), 'checksum.bin');
    const job = await client.createJob({ displayName: 'Checksum set later' });
    await client.addFile(job.id, { remoteUrl: server.url('/file/checksum.bin?size=8192'), localPath: target, sha256: '0'.repeat(64) });
    // Without the change, the wrong digest given at addFile fails the job instead.
    assert.equal((await client.setFileSha256(job.id, 0, sha256(content(8192)))).files[0].sha256, sha256(content(8192)));
    await client.resume(job.id);
    await waitFor('the job to transfer', async () => (await client.getJob(job.id))?.state === 'TRANSFERRED');
    await assert.rejects(
      client.setFileSha256(job.id, 0, undefined),
      (err: { name?: string; code?: number }) => err.name === 'BitsError' && err.code === 0x80200002,
    );
    await client.complete(job.id);
    assert.equal(sha256(fs.readFileSync(target)), sha256(content(8192)));
  });

  it('a write-only header changed in SecretStorage by another window is what the next request sends', async () => {
    const { hooks } = await extensionApi();
    const headerServer = await startServer({ host: testFixture().serverHost });
    headerServer.route('/first.bin', { body: testBytes(1024, 1) });
    headerServer.route('/second.bin', { body: testBytes(1024, 2) });
    try {
      const folder = downloadFolder('api-secret-windows');
      const job = await client.createJob({
        displayName: 'Token rotated elsewhere',
        writeOnlyHeaders: { Authorization: 'Bearer first-token' },
      });
      await client.addFile(job.id, { remoteUrl: headerServer.url('/first.bin'), localPath: path.join(folder, 'first.bin') });
      await client.resume(job.id);
      await waitFor('the first file', async () => (await client.getJob(job.id))?.state === 'TRANSFERRED');
      assert.equal(headerServer.requestsFor('/first.bin')[0]?.headers.authorization, 'Bearer first-token');

      // Another window rotates the token: it writes the shared SecretStorage, not through this window's cache.
      await hooks.secrets.store(`managedDownloads.writeOnlyHeaders/${job.id}`, JSON.stringify({ Authorization: 'Bearer rotated-token' }));
      await client.addFile(job.id, { remoteUrl: headerServer.url('/second.bin'), localPath: path.join(folder, 'second.bin') });
      await client.resume(job.id);
      await waitFor('the second file', async () => (await client.getJob(job.id))?.state === 'TRANSFERRED');
      assert.equal(headerServer.requestsFor('/second.bin')[0]?.headers.authorization, 'Bearer rotated-token');
      await client.complete(job.id);
    } finally {
      await headerServer.close();
    }
  });
});
