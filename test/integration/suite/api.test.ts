// The public API as another extension uses it, inside a real VS Code: BITS verbs, ownership, events.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DownloadJobModificationEvent, ManagedDownloadsClient } from '../../../src/api';
import { cancelAllJobs, content, downloadFolder, extensionApi, sha256, TestServer, waitFor } from './ui-support';

async function rejectsWithCode(promise: Promise<unknown>, code: number, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (err: { name?: string; code?: number; message?: string }) => {
    assert.equal(err.name, 'BitsError');
    assert.equal(err.code, code, `code 0x${(err.code ?? 0).toString(16)}: ${err.message}`);
    if (message) assert.match(err.message ?? '', message);
    return true;
  });
}

describe('API: for other extensions', () => {
  let server: TestServer;
  let client: ManagedDownloadsClient;

  before(async () => {
    server = await new TestServer().start();
    const { api } = await extensionApi();
    client = api.forExtension('tests.api-client');
  });
  after(async () => {
    const { engine } = await extensionApi();
    await cancelAllJobs(engine);
    await server.stop();
  });

  it('is versioned and gives one client per extension', async () => {
    const { api } = await extensionApi();
    assert.equal(api.apiVersion, 1);
    assert.equal(api.forExtension('tests.api-client'), client);
    assert.equal(client.owner, 'tests.api-client');
    assert.throws(() => api.forExtension('workspace'), /context\.extension\.id/);
  });

  it('creates a SUSPENDED job owned by the caller, downloads it, fires onDidTransfer, and completes on request', async () => {
    const folder = downloadFolder('api');
    const job = await client.createJob({ displayName: 'API job', priority: 'HIGH' });
    assert.equal(job.state, 'SUSPENDED');
    assert.equal(job.owner, 'tests.api-client');
    assert.equal(job.priority, 'HIGH');
    const target = path.join(folder, 'api.bin');
    const withFile = await client.addFile(job.id, { remoteUrl: server.url('/file/api.bin?size=65536'), localPath: target });
    assert.equal(withFile.files.length, 1);

    const modifications: DownloadJobModificationEvent[] = [];
    const sub = client.onDidModify((e) => e.job.id === job.id && modifications.push(e));
    const transferred = new Promise<string>((resolve) => {
      const s = client.onDidTransfer((e) => {
        if (e.job.id === job.id) {
          s.dispose();
          resolve(e.job.state);
        }
      });
    });
    await client.resume(job.id);
    assert.equal(await transferred, 'TRANSFERRED', 'API jobs wait for complete(), as BITS jobs do');
    assert.equal(fs.existsSync(target), false, 'nothing at the final path before complete()');
    const progress = await client.getProgress(job.id);
    assert.deepEqual([progress.bytesTransferred, progress.bytesTotal, progress.filesTransferred, progress.filesTotal], [65536, 65536, 1, 1]);
    const result = await client.complete(job.id);
    assert.equal(result.code, 0);
    assert.deepEqual(result.completed, [target]);
    assert.equal(sha256(fs.readFileSync(target)), sha256(content(65536)));
    sub.dispose();
    const states = modifications.filter((m) => m.kind === 'state').map((m) => m.job.state);
    assert.ok(states.includes('QUEUED') && states.includes('TRANSFERRED'), `states seen: ${states.join(', ')}`);
  });

  it('fires onDidError with the BITS error triple', async () => {
    const job = await client.createJob({ displayName: 'API failure' });
    await client.addFile(job.id, { remoteUrl: server.url('/status/404/nope.bin'), localPath: path.join(downloadFolder('api-error'), 'nope.bin') });
    const failed = new Promise<import('../../../src/api').DownloadJob>((resolve) => {
      const s = client.onDidError((e) => {
        if (e.job.id === job.id) {
          s.dispose();
          resolve(e.job);
        }
      });
    });
    await client.resume(job.id);
    const j = await failed;
    assert.equal(j.state, 'ERROR');
    assert.deepEqual([j.error?.context, j.error?.code, j.error?.codeName], ['REMOTE_FILE', 0x80190194, 'BG_E_HTTP_ERROR_404']);
  });

  it('suspend, setPriority, cancel, and clear errors for bad input and wrong states', async () => {
    const job = await client.createJob({ displayName: 'API verbs' });
    await rejectsWithCode(client.resume(job.id), 0x80200003); // BG_E_EMPTY
    await rejectsWithCode(client.setPriority(job.id, 'URGENT' as never), 0x80070057, /FOREGROUND, HIGH, NORMAL or LOW/);
    await client.setPriority(job.id, 'LOW');
    assert.equal((await client.getJob(job.id))?.priority, 'LOW');
    await client.addFile(job.id, { remoteUrl: server.url('/slow/api-slow.bin?size=400000&chunk=2000&every=100'), localPath: path.join(downloadFolder('api-verbs'), 'slow.bin') });
    await client.resume(job.id);
    await client.suspend(job.id);
    assert.equal((await client.getJob(job.id))?.state, 'SUSPENDED');
    const { code } = await client.cancel(job.id);
    assert.equal(code, 0);
    await rejectsWithCode(client.resume(job.id), 0x80200002); // BG_E_INVALID_STATE on a final job
    await rejectsWithCode(client.createJob({ displayName: '' }), 0x80070057);
    await rejectsWithCode(client.resume('no-such-job'), 0x80200001);
  });

  it("keeps each extension to its own jobs, and the UI's jobs out of reach", async () => {
    const { api } = await extensionApi();
    const other = api.forExtension('tests.someone-else');
    const theirs = await other.createJob({ displayName: 'Not yours' });
    await rejectsWithCode(client.suspend(theirs.id), 0x80070005, /belongs to tests\.someone-else/);
    await rejectsWithCode(client.cancel(theirs.id), 0x80070005);
    assert.equal(await client.getJob(theirs.id), undefined);
    assert.ok((await client.getJobs()).every((j) => j.owner === 'tests.api-client'));
    assert.ok((await other.getJobs()).some((j) => j.id === theirs.id));
  });

  it('jobs made through the API appear in the tree with their owner', async () => {
    const { hooks } = await extensionApi();
    const job = await client.createJob({ displayName: 'Shown in the tree' });
    await waitFor('the job in the tree', () => {
      hooks.model.flush();
      return hooks.tree.itemFor(job.id);
    });
    assert.match(String(hooks.tree.itemFor(job.id)!.description), /by tests\.api-client/);
  });
});
