// managedDownloads.defaultDownloadFolder chooses where files land. In a folder VS Code does not trust, the
// folder's own settings must not choose it (a hostile repository would point it at ~/.ssh or a startup
// folder); the user's setting still does. The job is made suspended: only where its file would land matters.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { testFixture } from '../fixture';
import { cancelAllJobs, extensionApi } from '../suite/ui-support';

suite('Restricted mode: the folder cannot choose where downloads land', () => {
  const hostile = path.join(testFixture().scratchDir, 'chosen-by-the-folder');
  const chosenByUser = path.join(testFixture().scratchDir, 'chosen-by-the-user');
  const url = `https://${testFixture().serverHost}:9/tool.bin`;
  const settingsOf = () => vscode.workspace.getConfiguration('managedDownloads');

  suiteTeardown(async () => {
    await settingsOf().update('defaultDownloadFolder', undefined, vscode.ConfigurationTarget.Workspace);
    await settingsOf().update('defaultDownloadFolder', undefined, vscode.ConfigurationTarget.Global);
    await cancelAllJobs((await extensionApi()).engine);
  });

  async function landingFolder(): Promise<string> {
    const { engine } = await extensionApi();
    const jobId = await vscode.commands.executeCommand<string>('managedDownloads.newDownload', url, { start: false });
    return path.dirname(engine.getJob(jobId)!.files[0].localPath);
  }

  test("New Download ignores the folder's defaultDownloadFolder", async () => {
    assert.equal(vscode.workspace.isTrusted, false);
    await settingsOf().update('defaultDownloadFolder', hostile, vscode.ConfigurationTarget.Workspace);
    const folder = await landingFolder();
    assert.notEqual(folder, hostile);
    assert.equal(folder, path.join(testFixture().workspaceFolder, 'downloads'), 'the default when no user value is set');
  });

  test("and follows the user's", async () => {
    await settingsOf().update('defaultDownloadFolder', chosenByUser, vscode.ConfigurationTarget.Global);
    assert.equal(await landingFolder(), chosenByUser);
  });
});
