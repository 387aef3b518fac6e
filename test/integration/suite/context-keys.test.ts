// The job context keys follow the job list in a running extension: the palette's job verbs appear when a
// job they apply to exists and go away with it.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { JobContextKeys as K } from '../../../src/ui/jobContextKeys';
import { cancelAllJobs, downloadFolder, extensionApi, waitFor } from './ui-support';

suite('Context keys: job verbs in the palette follow the jobs', () => {
  test('hasJobs and hasJobsToResume turn on with a suspended job and off when it is cancelled and cleared', async () => {
    const { hooks, engine } = await extensionApi();
    await cancelAllJobs(engine);
    hooks.model.flush();
    await vscode.commands.executeCommand('managedDownloads.clearFinished');
    await waitFor('hasJobs to be false with no job', () => hooks.contextKeys.get(K.hasJobs) === false);

    // A new job is SUSPENDED until resumed (BITS): resumable, not suspendable.
    const job = await engine.createJob({ displayName: 'context keys' });
    await engine.addFile(job.id, { remoteUrl: 'http://127.0.0.2:9/never', localPath: path.join(downloadFolder('context-keys'), 'f.bin') });
    await waitFor('hasJobs and hasJobsToResume', () => hooks.contextKeys.get(K.hasJobs) && hooks.contextKeys.get(K.hasJobsToResume));
    assert.equal(hooks.contextKeys.get(K.hasJobsToSuspend), false);

    await engine.cancel(job.id);
    await waitFor('hasJobsToResume to be false once the job is cancelled', () => hooks.contextKeys.get(K.hasJobsToResume) === false);
    await vscode.commands.executeCommand('managedDownloads.clearFinished');
    await waitFor('hasJobs to be false once finished jobs are cleared', () => hooks.contextKeys.get(K.hasJobs) === false);
  });
});
