// Settings take effect without a reload: retry timers of new jobs, the number of concurrent jobs.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { JobState } from '../../../src/core/model/job';
import { letTimePass } from '../../support/wait';
import { cancelAllJobs, downloadFolder, extensionApi, setSetting, TestServer, waitFor, waitForState } from './ui-support';

describe('UI: settings', () => {
  let server: TestServer;

  before(async () => {
    server = await new TestServer().start();
  });
  after(async () => {
    for (const key of ['minimumRetryDelay', 'noProgressTimeout', 'maxConcurrentJobs']) await setSetting(key, undefined);
    await server.stop();
  });
  afterEach(async () => {
    const { engine } = await extensionApi();
    await cancelAllJobs(engine);
  });

  it('new jobs take the retry delay and no-progress timeout from the settings, as they are now', async () => {
    const { engine } = await extensionApi();
    await setSetting('minimumRetryDelay', 17);
    await setSetting('noProgressTimeout', 1234);
    const first = (await vscode.commands.executeCommand('managedDownloads.newJob', 'Timers 1')) as string;
    assert.equal(engine.getJob(first)?.minimumRetryDelay, 17);
    assert.equal(engine.getJob(first)?.noProgressTimeout, 1234);
    await setSetting('minimumRetryDelay', 42);
    const second = (await vscode.commands.executeCommand('managedDownloads.newJob', 'Timers 2')) as string;
    assert.equal(engine.getJob(second)?.minimumRetryDelay, 42);
    assert.equal(engine.getJob(first)?.minimumRetryDelay, 17, 'existing jobs keep theirs');
  });

  it('maxConcurrentJobs limits how many jobs transfer at once, and raising it starts the next at once', async () => {
    const { engine } = await extensionApi();
    await setSetting('maxConcurrentJobs', 1);
    const folder = downloadFolder('concurrency');
    const slow = (name: string) => server.url(`/slow/${name}.bin?size=400000&chunk=4000&every=50`);
    const a = (await vscode.commands.executeCommand('managedDownloads.newDownload', slow('first'), { destination: folder })) as string;
    await waitForState(engine, a, JobState.TRANSFERRING);
    const b = (await vscode.commands.executeCommand('managedDownloads.newDownload', slow('second'), { destination: folder })) as string;
    await letTimePass(700); // on purpose: with a free slot the second job would have started by now
    assert.equal(engine.getJob(b)?.state, JobState.QUEUED, 'the second job waits for a slot');
    await setSetting('maxConcurrentJobs', 2);
    await waitFor('the second job to start', () => {
      const s = engine.getJob(b)?.state;
      return s === JobState.CONNECTING || s === JobState.TRANSFERRING;
    });
    assert.equal(engine.getJob(a)?.state, JobState.TRANSFERRING);
  });
});
