// The public API as another extension uses it, inside a real VS Code: BITS verbs, ownership, events,
// write-only headers. These tests' code lies in the extension's own folder (out/integration), so the API
// sees this extension as their caller; they act as other extensions through the test-only hooks.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DownloadJobModificationEvent, ManagedDownloadsClient } from '../../../src/api';
import { startServer, testBytes } from '../../support/servers';
import { EXTENSION_ID } from '../extension-under-test';
import { testFixture } from '../fixture';
import { cancelAllJobs, content, downloadFolder, extensionApi, sha256, TestServer, waitFor } from './ui-support';

/** Every file under `dir`, with its text. */
function filesUnder(dir: string): { file: string; text: string }[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .map((file) => ({ file, text: fs.readFileSync(file, 'latin1') }));
}

/** Every own property of a frozen API object is a function or a plain value: nothing leads further in. */
function assertNoRouteInside(name: string, value: object): void {
  assert.ok(Object.isFrozen(value), `${name} is frozen`);
  assert.deepEqual(Object.getOwnPropertySymbols(value), [], `${name} has no symbol keys`);
  for (const key of Object.getOwnPropertyNames(value)) {
    const v = (value as Record<string, unknown>)[key];
    assert.ok(v === null || typeof v !== 'object', `${name}.${key} is an object (${Object.getOwnPropertyNames(v as object).join(', ')})`);
    if (typeof v === 'function')
      assert.deepEqual(
        Object.getOwnPropertyNames(v).filter((k) => !['length', 'name', 'prototype'].includes(k)),
        [],
        `${name}.${key} carries properties`,
      );
  }
}

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
    client = api.forExtension(EXTENSION_ID);
  });
  after(async () => {
    const { engine } = await extensionApi();
    await cancelAllJobs(engine);
    await server.stop();
  });

  it('is versioned and gives one client per extension', async () => {
    const { api } = await extensionApi();
    assert.equal(api.apiVersion, 1);
    assert.equal(api.forExtension(EXTENSION_ID), client);
    assert.equal(client.owner, EXTENSION_ID);
    assert.throws(() => api.forExtension('workspace'), /context\.extension\.id/);
  });

  it('carries no internal hook: the API object and the client are frozen and lead nowhere', async () => {
    const { api } = await extensionApi();
    assert.deepEqual(Object.keys(api).sort(), ['apiVersion', 'forExtension']);
    assert.deepEqual(Object.getOwnPropertyNames(api).sort(), ['apiVersion', 'forExtension']);
    assert.equal(Object.getPrototypeOf(api), Object.prototype);
    assertNoRouteInside('the API object', api);
    assertNoRouteInside('the client', client);
  });

  it("refuses another extension's id: a client goes only to the extension whose code asks for it", async () => {
    const { api, hooks } = await extensionApi();
    const theirs = await hooks.apiClientFor('tests.someone-else').createJob({ displayName: 'Theirs' });
    assert.throws(
      () => api.forExtension('tests.someone-else'),
      (err: { name?: string; code?: number; message?: string }) =>
        err.name === 'BitsError' &&
        err.code === 0x80070005 &&
        new RegExp(`called by ${EXTENSION_ID.replace(/\./g, '\\.')}`, 'i').test(err.message ?? ''),
    );
    // Not by case either (VS Code's ids are case-insensitive).
    assert.throws(() => api.forExtension('TESTS.Someone-Else'), { code: 0x80070005 });
    assert.equal(await client.getJob(theirs.id), undefined);
  });

  it('creates a SUSPENDED job owned by the caller, downloads it, fires onDidTransfer, and completes on request', async () => {
    const folder = downloadFolder('api');
    const job = await client.createJob({ displayName: 'API job', priority: 'HIGH' });
    assert.equal(job.state, 'SUSPENDED');
    assert.equal(job.owner, EXTENSION_ID);
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
    assert.deepEqual(
      [progress.bytesTransferred, progress.bytesTotal, progress.filesTransferred, progress.filesTotal],
      [65536, 65536, 1, 1],
    );
    const result = await client.complete(job.id);
    assert.equal(result.code, 0);
    assert.deepEqual(result.completed, [target]);
    assert.equal(sha256(fs.readFileSync(target)), sha256(content(65536)));
    sub.dispose();
    const states = modifications.filter((m) => m.kind === 'state').map((m) => m.job.state);
    assert.ok(states.includes('QUEUED') && states.includes('TRANSFERRED'), `states seen: ${states.join(', ')}`);
  });

  it('addFiles adds a set of files, all or none (a refused entry named by its index), and they download', async () => {
    const folder = downloadFolder('api-set');
    const job = await client.createJob({ displayName: 'API file set', autoComplete: true });
    const entry = (i: number) => ({
      remoteUrl: server.url(`/file/set-${i}.bin?size=${1000 + i}`),
      localPath: path.join(folder, `set-${i}.bin`),
    });
    await rejectsWithCode(
      client.addFiles(job.id, [entry(0), entry(1), { remoteUrl: server.url('/file/x.bin'), localPath: 'relative/x.bin' }]),
      0x80070057,
      /^files\[2\] was refused, so none of the 3 files was added: .*not absolute/,
    );
    await rejectsWithCode(client.addFiles(job.id, []), 0x80070057, /non-empty array/);
    assert.equal((await client.getJob(job.id))?.files.length, 0, 'a refused set adds nothing');
    const { hooks } = await extensionApi();
    const theirs = await hooks.apiClientFor('tests.someone-else').createJob({ displayName: 'Not yours either' });
    await rejectsWithCode(client.addFiles(theirs.id, [entry(9)]), 0x80070005);

    const entries = [0, 1, 2, 3, 4].map(entry);
    const withFiles = await client.addFiles(job.id, [...entries.slice(0, 4), { ...entries[4], sha256: sha256(content(1004)) }]);
    assert.deepEqual(
      withFiles.files.map((f) => f.localPath),
      entries.map((e) => e.localPath),
    );
    assert.equal(withFiles.files[4].sha256, sha256(content(1004)));
    await client.resume(job.id);
    await waitFor('the set to be downloaded and completed', async () => (await client.getJob(job.id))?.state === 'ACKNOWLEDGED');
    for (const i of [0, 4]) assert.equal(sha256(fs.readFileSync(entries[i].localPath)), sha256(content(1000 + i)));
  });

  it('fires onDidError with the BITS error triple', async () => {
    const job = await client.createJob({ displayName: 'API failure' });
    await client.addFile(job.id, {
      remoteUrl: server.url('/status/404/nope.bin'),
      localPath: path.join(downloadFolder('api-error'), 'nope.bin'),
    });
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
    await client.addFile(job.id, {
      remoteUrl: server.url('/slow/api-slow.bin?size=400000&chunk=2000&every=100'),
      localPath: path.join(downloadFolder('api-verbs'), 'slow.bin'),
    });
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
    const { hooks } = await extensionApi();
    const other = hooks.apiClientFor('tests.someone-else');
    const theirs = await other.createJob({ displayName: 'Not yours' });
    await rejectsWithCode(client.suspend(theirs.id), 0x80070005, /belongs to tests\.someone-else/);
    await rejectsWithCode(client.cancel(theirs.id), 0x80070005);
    await rejectsWithCode(client.setPriority(theirs.id, 'LOW'), 0x80070005);
    await rejectsWithCode(client.setWriteOnlyHeader(theirs.id, 'Authorization', 'x'), 0x80070005);
    await rejectsWithCode(
      client.setCertificateValidator(theirs.id, () => 0),
      0x80070005,
    );
    assert.equal(await client.getJob(theirs.id), undefined);
    assert.ok((await client.getJobs()).every((j) => j.owner === EXTENSION_ID));
    assert.ok((await other.getJobs()).some((j) => j.id === theirs.id && j.state === 'SUSPENDED'));
  });

  it('keeps write-only headers (and credential headers) out of the job store, and still sends them', async () => {
    const { hooks, engine } = await extensionApi();
    const host = testFixture().serverHost;
    const headerServer = await startServer({ host });
    const body = testBytes(4096, 9);
    headerServer.route('/private.bin', { body });
    try {
      const folder = downloadFolder('api-secret');
      const explicit = 'Bearer write-only-token-7f3a9c';
      const credential = 'session=cookie-secret-51be2d';
      const job = await client.createJob({
        displayName: 'Write-only headers',
        customHeaders: { 'X-Plain-Marker': 'plain-header-value', Cookie: credential },
        writeOnlyHeaders: { Authorization: explicit },
      });
      await client.addFile(job.id, { remoteUrl: headerServer.url('/private.bin'), localPath: path.join(folder, 'private.bin') });
      assert.deepEqual((await client.setWriteOnlyHeader(job.id, 'X-Api-Key', 'api-key-secret-0d41e8')).sort(), [
        'Authorization',
        'Cookie',
        'X-Api-Key',
      ]);
      await client.resume(job.id);
      await waitFor('the job to transfer', async () => (await client.getJob(job.id))?.state === 'TRANSFERRED');
      const [request] = headerServer.requestsFor('/private.bin');
      assert.equal(request.headers.authorization, explicit);
      assert.equal(request.headers.cookie, credential);
      assert.equal(request.headers['x-plain-marker'], 'plain-header-value');
      assert.equal(request.headers['x-api-key'], 'api-key-secret-0d41e8');
      assert.deepEqual([...(engine.getJob(job.id)?.writeOnlyHeaderNames ?? [])].sort(), ['Authorization', 'Cookie', 'X-Api-Key']);
      // The job's record is on disk (its plain header is there): the secrets must not be.
      const record = await waitFor('the job record on disk', () =>
        filesUnder(hooks.storeDir).find((f) => f.text.includes(job.id) && f.text.includes('plain-header-value')),
      );
      assert.ok(record.text.includes('Authorization'), 'the names of write-only headers are recorded');
      for (const { file, text } of filesUnder(hooks.storeDir)) {
        assert.ok(!text.includes('write-only-token-7f3a9c'), `the Authorization value is in ${file}`);
        assert.ok(!text.includes('cookie-secret-51be2d'), `the Cookie value is in ${file}`);
        assert.ok(!text.includes('api-key-secret-0d41e8'), `the X-Api-Key value is in ${file}`);
      }
      await client.complete(job.id);
      await rejectsWithCode(client.setWriteOnlyHeader(job.id, 'Authorization', 'late'), 0x80200002); // BG_E_INVALID_STATE
      await rejectsWithCode(client.createJob({ displayName: 'bad header', writeOnlyHeaders: { 'Bad Name': 'x' } }), 0x80070057, /Bad Name/);
    } finally {
      await headerServer.close();
    }
  });

  it('jobs made through the API appear in the tree with their owner', async () => {
    const { hooks } = await extensionApi();
    const job = await client.createJob({ displayName: 'Shown in the tree' });
    await waitFor('the job in the tree', () => {
      hooks.model.flush();
      return hooks.tree.itemFor(job.id);
    });
    assert.match(String(hooks.tree.itemFor(job.id)!.description), new RegExp(`by ${EXTENSION_ID.replace(/\./g, '\\.')}`));
  });
});
