// managedDownloads.extraCaFiles widens phase 1 (the platform check), which is the only check a job without a
// validator gets. In a folder VS Code does not trust, the folder's own settings must not add a trusted root
// (a hostile repository would name its own CA); the user's setting still does. The server listens on
// 127.0.0.2, the path real hosts take inside VS Code, and records every request it receives.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { JobState } from '../../../src/core/model/job';
import { makeCA, makeLeaf } from '../../support/certs';
import { startServer, testBytes, type TestServer } from '../../support/servers';
import { testFixture } from '../fixture';
import { cancelAllJobs, downloadFolder, extensionApi, waitFor, waitForState } from '../suite/ui-support';

suite('Restricted mode: the folder cannot add trusted certificate authorities', () => {
  let server: TestServer;
  const body = testBytes(10_000, 5);
  const ca = makeCA('Hostile Repository CA');
  const caFile = path.join(testFixture().scratchDir, 'hostile-ca.pem');
  const settingsOf = () => vscode.workspace.getConfiguration('managedDownloads');

  suiteSetup(async () => {
    const host = testFixture().serverHost;
    const leaf = makeLeaf(ca, { hosts: [host] });
    server = await startServer({ host, tls: { cert: leaf.cert, key: leaf.key } });
    server.route('/file.bin', { body });
    fs.writeFileSync(caFile, ca.cert);
  });
  suiteTeardown(async () => {
    await settingsOf().update('extraCaFiles', undefined, vscode.ConfigurationTarget.Workspace);
    await settingsOf().update('extraCaFiles', undefined, vscode.ConfigurationTarget.Global);
    const { engine } = await extensionApi();
    await cancelAllJobs(engine);
    await server.close();
  });

  /** A job with no validator and no relaxing flag: phase 1 alone decides. */
  async function download(name: string): Promise<{ jobId: string; dest: string }> {
    const { engine } = await extensionApi();
    const job = await engine.createJob({ displayName: name, validator: 'none', securityFlags: 0, noProgressTimeout: 0 });
    const dest = path.join(downloadFolder(name), 'file.bin');
    await engine.addFile(job.id, { remoteUrl: server.url('/file.bin'), localPath: dest });
    await engine.resume(job.id);
    return { jobId: job.id, dest };
  }

  test('a CA named by the workspace settings does not make its server pass phase 1', async () => {
    assert.equal(vscode.workspace.isTrusted, false);
    await settingsOf().update('extraCaFiles', [caFile], vscode.ConfigurationTarget.Workspace);
    assert.deepEqual(settingsOf().inspect<string[]>('extraCaFiles')?.globalValue, undefined, 'the user setting is empty');
    const { engine } = await extensionApi();
    const { jobId } = await download('workspace-ca');
    const ended = await waitFor('the job to fail or transfer', () => {
      const job = engine.getJob(jobId);
      return job && (job.state === JobState.ERROR || job.state === JobState.TRANSFERRED) ? job : undefined;
    });
    assert.equal(JobState[ended.state], 'ERROR', "the folder's CA was trusted: the job transferred");
    assert.match(ended.error?.description ?? '', /phase 1/);
    assert.equal(server.requestsFor('/file.bin').length, 0, 'a request reached a server that only the folder trusts');
    await engine.cancel(jobId);
  });

  test('the same CA named by the user settings does (the setting is read again when it changes)', async () => {
    await settingsOf().update('extraCaFiles', [caFile], vscode.ConfigurationTarget.Global);
    const { engine } = await extensionApi();
    const { jobId, dest } = await download('user-ca');
    await waitForState(engine, jobId, JobState.TRANSFERRED);
    await engine.complete(jobId);
    assert.deepEqual(fs.readFileSync(dest), body);
  });
});
