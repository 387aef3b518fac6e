// Phase 2 for every job (issue 14, item 3), inside a real VS Code: once the workspace names a validator, it
// checks every job whose owner set none, whenever the job was made. Here the workspace validator declines
// everything, and two jobs that used to skip it get no byte: one made through the public API with no
// validator of its own, and one made in the UI before the validator setting was set. The HTTPS server
// listens on 127.0.0.2 (the path real hosts take) and records every request it serves; its private CA is
// trusted in phase 1 (managedDownloads.extraCaFiles), so only phase 2 can refuse.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ManagedDownloadsClient } from '../../../src/api';
import { ErrorContext } from '../../../src/core/errors';
import { JobState } from '../../../src/core/model/job';
import { makeCA, makeLeaf } from '../../support/certs';
import { startServer, testBytes, type TestServer } from '../../support/servers';
import { EXTENSION_ID } from '../extension-under-test';
import { testFixture } from '../fixture';
import { cancelAllJobs, downloadFolder, extensionApi, setSetting, waitFor } from './ui-support';

const run = <T = unknown>(command: string, ...args: unknown[]) => vscode.commands.executeCommand<T>(`managedDownloads.${command}`, ...args);

describe('Phase 2 for every job: a declining workspace validator', () => {
  let server: TestServer;
  let client: ManagedDownloadsClient;
  const ca = makeCA('Phase 2 Every Job CA');
  const workspace = testFixture().workspaceFolder;
  const validatorFile = path.join(workspace, '.vscode', 'decline-all-validator.ts');

  before(async () => {
    const host = testFixture().serverHost;
    const leaf = makeLeaf(ca, { hosts: [host] });
    server = await startServer({ host, tls: { cert: leaf.cert + ca.cert, key: leaf.key } });
    server.route('/every-job.bin', { body: testBytes(30_000, 11) });
    fs.mkdirSync(path.dirname(validatorFile), { recursive: true });
    fs.writeFileSync(path.join(workspace, '.vscode', 'every-job-ca.pem'), ca.cert);
    await setSetting('extraCaFiles', ['.vscode/every-job-ca.pem']);
    await setSetting('certificateValidator', undefined);
    client = (await extensionApi()).api.forExtension(EXTENSION_ID);
  });
  after(async () => {
    await setSetting('certificateValidator', undefined);
    await setSetting('extraCaFiles', undefined);
    const { engine } = await extensionApi();
    await cancelAllJobs(engine);
    await server.close();
  });

  it('an API job without its own validator and a UI job made before the setting get no byte', async () => {
    const { engine, hooks } = await extensionApi();
    const folder = downloadFolder('every-job');

    // Both jobs are made while no validator is configured, and wait SUSPENDED.
    const uiJobId = await run<string>('newJob', 'UI job made before the validator');
    await waitFor('the UI job in the view model', () => hooks.model.get(uiJobId));
    await run('addFile', uiJobId, server.url('/every-job.bin'), path.join(folder, 'ui.bin'));
    const apiJob = await client.createJob({ displayName: 'API job without a validator of its own' });
    await client.addFile(apiJob.id, { remoteUrl: server.url('/every-job.bin'), localPath: path.join(folder, 'api.bin') });

    // Then the workspace gets a validator that declines every certificate.
    fs.writeFileSync(
      validatorFile,
      "export default function validate() { return { code: 0x80096004, reason: 'declined by decline-all-validator.ts' }; }\n",
    );
    await setSetting('certificateValidator', '.vscode/decline-all-validator.ts');
    assert.equal(await run('reloadCertificateValidator'), 'loaded');

    await run('resume', uiJobId);
    await client.resume(apiJob.id);
    const settled = new Set([JobState.TRANSIENT_ERROR, JobState.ERROR, JobState.TRANSFERRED, JobState.ACKNOWLEDGED]);
    for (const jobId of [uiJobId, apiJob.id]) {
      const failed = await waitFor(`job ${jobId} to fail or finish (requests served so far: ${server.requests.length})`, () => {
        const job = engine.getJob(jobId);
        return job && settled.has(job.state) ? job : undefined;
      });
      assert.equal(
        JobState[failed.state],
        'TRANSIENT_ERROR',
        `${failed.displayName} was not stopped by the workspace validator (${server.requests.length} requests served)`,
      );
      assert.equal(
        ErrorContext[failed.error?.context ?? ErrorContext.NONE],
        'SERVER_CERTIFICATE_CALLBACK',
        `${failed.displayName}: ${failed.error?.description}`,
      );
      assert.match(failed.error?.description ?? '', /declined by decline-all-validator\.ts/);
      assert.equal(failed.files[0].bytesTransferred, 0);
    }
    const apiView = await client.getJob(apiJob.id);
    assert.deepEqual([apiView?.state, apiView?.error?.context], ['TRANSIENT_ERROR', 'SERVER_CERTIFICATE_CALLBACK']);
    assert.equal(server.requests.length, 0, `requests reached the server: ${server.requests.map((r) => r.path).join(', ')}`);
  });
});
