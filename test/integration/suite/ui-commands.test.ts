// Every command of the extension, driven with arguments inside a real VS Code, checked through the engine's
// job states, the files on disk and what the person is told.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { JobPriority, JobState, type CompleteResult } from '../../../src/core/model/job';
import { testFixture } from '../fixture';
import { letTimePass } from '../../support/wait';
import {
  acceptQuickPick,
  cancelAllJobs,
  content,
  downloadFolder,
  extensionApi,
  sha256,
  TestServer,
  waitFor,
  waitForState,
} from './ui-support';

const run = <T = unknown>(command: string, ...args: unknown[]) => vscode.commands.executeCommand<T>(`managedDownloads.${command}`, ...args);

describe('UI: commands', () => {
  let server: TestServer;

  before(async () => {
    server = await new TestServer().start();
  });
  after(async () => {
    await server.stop();
  });
  afterEach(async () => {
    const { engine } = await extensionApi();
    await cancelAllJobs(engine);
  });

  it('registers exactly the commands it contributes', async () => {
    const { hooks } = await extensionApi();
    const contributed = (
      vscode.extensions.getExtension('managed-downloads.managed-downloads')!.packageJSON.contributes.commands as { command: string }[]
    )
      .map((c) => c.command)
      .sort();
    assert.deepEqual([...hooks.commandIds].sort(), contributed);
  });

  it('New Download takes several URLs into one job, in the folder given, and starts it', async () => {
    const { engine } = await extensionApi();
    const folder = downloadFolder('several');
    const urls = [server.url('/file/one.bin?size=1000'), server.url('/file/two.bin?size=2000'), server.url('/file/one.bin?size=3000')];
    const jobId = await run<string>('newDownload', urls, { destination: folder, displayName: 'Three files' });
    const job = await waitForState(engine, jobId, JobState.ACKNOWLEDGED);
    assert.equal(job.displayName, 'Three files');
    assert.equal(job.owner, 'workspace');
    // Two URLs with the same file name get distinct destinations, browser-style.
    assert.deepEqual(
      job.files.map((f) => path.basename(f.localPath)),
      ['one.bin', 'two.bin', 'one (1).bin'],
    );
    assert.equal(sha256(fs.readFileSync(path.join(folder, 'one (1).bin'))), sha256(content(3000)));
  });

  it('New Download without a folder uses managedDownloads.defaultDownloadFolder, relative to the workspace', async () => {
    const { engine } = await extensionApi();
    await vscode.workspace
      .getConfiguration('managedDownloads')
      .update('defaultDownloadFolder', 'downloads/from-setting', vscode.ConfigurationTarget.Workspace);
    try {
      const jobId = await run<string>('newDownload', server.url(`/file/setting-${Date.now()}.bin?size=100`));
      const job = await waitForState(engine, jobId, JobState.ACKNOWLEDGED);
      const expected = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, 'downloads', 'from-setting');
      assert.equal(path.dirname(job.files[0].localPath), expected);
      assert.ok(fs.existsSync(job.files[0].localPath));
    } finally {
      await vscode.workspace
        .getConfiguration('managedDownloads')
        .update('defaultDownloadFolder', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('a bad URL gets a clear error message with "Show Log", and no job is made', async () => {
    const { hooks, engine } = await extensionApi();
    const jobsBefore = engine.listJobs().length;
    const result = await run('newDownload', 'ftp://example.com/file.bin');
    assert.equal(result, undefined);
    const last = hooks.messages.recent.at(-1)!;
    assert.equal(last.severity, 'error');
    assert.match(last.text, /Only http and https URLs can be downloaded/);
    assert.match(last.text, /BG_E_PROTOCOL_NOT_AVAILABLE/);
    assert.deepEqual(last.actions, ['Show Log']);
    assert.equal(engine.listJobs().length, jobsBefore);
  });

  it('New Job, Add File to Job, Resume: the BITS way, step by step', async () => {
    const { engine } = await extensionApi();
    const folder = downloadFolder('stepwise');
    const jobId = await run<string>('newJob', 'Step by step');
    assert.equal(engine.getJob(jobId)?.state, JobState.SUSPENDED);
    assert.equal(engine.getJob(jobId)?.files.length, 0);
    const target = path.join(folder, 'chosen-name.bin');
    assert.equal(await run('addFile', jobId, server.url('/file/x.bin?size=5000'), target), jobId);
    assert.equal(engine.getJob(jobId)?.files[0].localPath, target);
    assert.deepEqual(await run('resume', jobId), [jobId]);
    await waitForState(engine, jobId, JobState.ACKNOWLEDGED);
    assert.equal(sha256(fs.readFileSync(target)), sha256(content(5000)));
  });

  it('Resume of an empty job says what to do (BG_E_EMPTY)', async () => {
    const { hooks } = await extensionApi();
    const jobId = await run<string>('newJob', 'Nothing in it');
    await run('resume', jobId);
    const last = hooks.messages.recent.at(-1)!;
    assert.equal(last.severity, 'error');
    assert.match(last.text, /BG_E_EMPTY/);
  });

  it('Suspend and Resume a running job from tree items; it finishes with the right bytes', async () => {
    const { hooks, engine } = await extensionApi();
    const folder = downloadFolder('suspend');
    const jobId = await run<string>('newDownload', server.url('/slow/pausable.bin?size=300000&chunk=10000&every=50'), {
      destination: folder,
    });
    await waitFor('some bytes', () => (engine.getJob(jobId)?.files[0].bytesTransferred ?? 0) > 0);
    hooks.model.flush();
    const item = hooks.tree.itemFor(jobId)!;
    // The tree calls with (clicked item, selection).
    assert.deepEqual(await run('suspend', item, [item]), [jobId]);
    await waitForState(engine, jobId, JobState.SUSPENDED);
    hooks.model.flush();
    assert.match(String(hooks.tree.itemFor(jobId)!.contextValue), /^job:suspended:canResume:/);
    assert.deepEqual(await run('resume', hooks.tree.itemFor(jobId)), [jobId]);
    await waitForState(engine, jobId, JobState.ACKNOWLEDGED, 30000);
    assert.equal(sha256(fs.readFileSync(path.join(folder, 'pausable.bin'))), sha256(content(300000)));
  });

  it('Suspend and Cancel act on every selected job', async () => {
    const { engine } = await extensionApi();
    const folder = downloadFolder('multi');
    const a = await run<string>('newDownload', server.url('/slow/a.bin?size=500000&chunk=1000&every=100'), { destination: folder });
    const b = await run<string>('newDownload', server.url('/slow/b.bin?size=500000&chunk=1000&every=100'), { destination: folder });
    assert.deepEqual(await run('suspend', a, [a, b]), [a, b]);
    await waitForState(engine, a, JobState.SUSPENDED);
    await waitForState(engine, b, JobState.SUSPENDED);
    assert.deepEqual(await run('cancel', [a, b], { skipConfirmation: true }), [a, b]);
    await waitForState(engine, a, JobState.CANCELLED);
    await waitForState(engine, b, JobState.CANCELLED);
  });

  it('Cancel deletes the partial files; Clear Finished Jobs removes it from the view', async () => {
    const { hooks, engine } = await extensionApi();
    const folder = downloadFolder('cancel');
    const jobId = await run<string>('newDownload', server.url('/slow/cancelled.bin?size=500000&chunk=5000&every=50'), {
      destination: folder,
    });
    await waitFor('some bytes', () => (engine.getJob(jobId)?.files[0].bytesTransferred ?? 0) > 0);
    assert.deepEqual(await run('cancel', jobId, { skipConfirmation: true }), [jobId]);
    await waitFor(
      'the job to be cancelled',
      () => hooks.model.get(jobId)?.state === JobState.CANCELLED || engine.getJob(jobId)?.state === JobState.CANCELLED,
    );
    await waitFor('the temporary file to go', () => fs.readdirSync(folder).length === 0);
    hooks.model.flush();
    assert.equal(hooks.tree.itemFor(jobId)?.contextValue, 'job:cancelled:');
    const cleared = await run<string[]>('clearFinished');
    assert.ok(cleared?.includes(jobId));
    assert.equal(hooks.tree.itemFor(jobId), undefined);
  });

  it('Complete puts a transferred job in place when auto-complete is off; the notification offers Complete', async () => {
    const { hooks, engine } = await extensionApi();
    await vscode.workspace
      .getConfiguration('managedDownloads')
      .update('autoCompleteWhenTransferred', false, vscode.ConfigurationTarget.Workspace);
    try {
      const folder = downloadFolder('manual-complete');
      const jobId = await run<string>('newDownload', server.url('/file/manual.bin?size=4000'), { destination: folder });
      await waitForState(engine, jobId, JobState.TRANSFERRED);
      assert.deepEqual(
        fs.readdirSync(folder).filter((n) => n === 'manual.bin'),
        [],
        'nothing at the final path before Complete',
      );
      hooks.model.flush();
      assert.match(String(hooks.tree.itemFor(jobId)!.contextValue), /:canComplete:/);
      const note = await waitFor('the "transferred" notification', () =>
        hooks.messages.recent.find((m) => m.text.includes('is transferred') && m.actions.includes('Complete')),
      );
      assert.ok(note);
      const [result] = await run<CompleteResult[]>('complete', jobId);
      assert.equal(result.code, 0);
      await waitForState(engine, jobId, JobState.ACKNOWLEDGED).catch(() => undefined);
      assert.equal(sha256(fs.readFileSync(path.join(folder, 'manual.bin'))), sha256(content(4000)));
    } finally {
      await vscode.workspace
        .getConfiguration('managedDownloads')
        .update('autoCompleteWhenTransferred', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('Retry Now skips the retry delay of a job waiting after a 503', async () => {
    const { engine } = await extensionApi();
    const folder = downloadFolder('retry');
    const jobId = await run<string>('newDownload', server.url(`/flaky/k${Date.now()}/retry.bin?size=3000`), { destination: folder });
    const waiting = await waitForState(engine, jobId, JobState.TRANSIENT_ERROR);
    assert.equal(waiting.error?.code, 0x801901f7, 'HTTP 503');
    assert.deepEqual(await run('retryNow', jobId), [jobId]);
    await waitForState(engine, jobId, JobState.ACKNOWLEDGED);
  });

  it('a failed job is announced with "Retry" and "Show Log"; Retry re-queues it', async () => {
    const { hooks, engine } = await extensionApi();
    const folder = downloadFolder('announce');
    const jobId = await run<string>('newDownload', server.url('/status/410/gone.bin'), { destination: folder });
    await waitForState(engine, jobId, JobState.ERROR);
    const note = await waitFor('the error notification', () =>
      hooks.messages.recent.find((m) => m.severity === 'error' && m.text.includes('failed') && m.text.includes('BG_E_HTTP_ERROR_410')),
    );
    assert.deepEqual(note.actions, ['Retry', 'Show Log']);
    const changed = new Promise<void>((resolve) => {
      const sub = engine.onDidChangeJob((e) => {
        if (e.job.id === jobId && e.kind === 'state' && e.job.state !== JobState.ERROR) {
          sub.dispose();
          resolve();
        }
      });
    });
    await note.choose('Retry');
    await changed;
  });

  it('notifyOnError off: a failed job is not announced', async () => {
    const { hooks, engine } = await extensionApi();
    await vscode.workspace.getConfiguration('managedDownloads').update('notifyOnError', false, vscode.ConfigurationTarget.Workspace);
    try {
      const name = `quiet-${Date.now()}.bin`;
      const jobId = await run<string>('newDownload', server.url(`/status/404/${name}`), { destination: downloadFolder('quiet') });
      await waitForState(engine, jobId, JobState.ERROR);
      await letTimePass(400); // on purpose: an error notification would have been posted by now
      assert.equal(
        hooks.messages.recent.find((m) => m.text.includes(name)),
        undefined,
      );
    } finally {
      await vscode.workspace.getConfiguration('managedDownloads').update('notifyOnError', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('notifyOnCompletion off: a completed download is not announced', async () => {
    const { hooks, engine } = await extensionApi();
    await vscode.workspace.getConfiguration('managedDownloads').update('notifyOnCompletion', false, vscode.ConfigurationTarget.Workspace);
    try {
      const name = `unannounced-${Date.now()}.bin`;
      const jobId = await run<string>('newDownload', server.url(`/file/${name}?size=100`), { destination: downloadFolder('unannounced') });
      await waitForState(engine, jobId, JobState.ACKNOWLEDGED);
      await letTimePass(400); // on purpose: a completion notification would have been posted by now
      assert.equal(
        hooks.messages.recent.find((m) => m.text.includes(name)),
        undefined,
      );
    } finally {
      await vscode.workspace
        .getConfiguration('managedDownloads')
        .update('notifyOnCompletion', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('a completed download is announced with "Open" and "Reveal in Explorer"', async () => {
    const { hooks, engine } = await extensionApi();
    const name = `announced-${Date.now()}.bin`;
    const jobId = await run<string>('newDownload', server.url(`/file/${name}?size=100`), { destination: downloadFolder('done') });
    await waitForState(engine, jobId, JobState.ACKNOWLEDGED);
    const note = await waitFor('the completion notification', () => hooks.messages.recent.find((m) => m.text.includes(name)));
    assert.equal(note.severity, 'info');
    assert.deepEqual(note.actions, ['Open', 'Reveal in Explorer']);
    await note.choose('Open');
    await waitFor(
      'the file to open in an editor',
      () =>
        vscode.window.activeTextEditor?.document.uri.fsPath.endsWith(name) ||
        vscode.window.tabGroups.activeTabGroup.activeTab?.label === name,
    );
  });

  it('Set Priority with an argument, and with the quick pick', async () => {
    const { engine } = await extensionApi();
    const jobId = await run<string>('newJob', 'Prioritised');
    assert.deepEqual(await run('setPriority', jobId, 'HIGH'), [jobId]);
    assert.equal(engine.getJob(jobId)?.priority, JobPriority.HIGH);
    // Without a priority it asks; accept the first entry (FOREGROUND) as a person pressing Enter would.
    assert.deepEqual(await acceptQuickPick(run('setPriority', jobId), 'Set Priority'), [jobId]);
    assert.equal(engine.getJob(jobId)?.priority, JobPriority.FOREGROUND);
  });

  it('a palette command without a job asks with a quick pick of the jobs it fits', async () => {
    const { engine } = await extensionApi();
    const jobId = await run<string>('newJob', `Picked ${Date.now()}`);
    await run('addFile', jobId, server.url('/file/picked.bin?size=10'), path.join(downloadFolder('picked'), 'picked.bin'));
    // Only suspended or failed jobs can be resumed: the new one is the newest such job, listed first.
    assert.deepEqual(await acceptQuickPick(run('resume'), 'Resume'), [jobId]);
    await waitForState(engine, jobId, JobState.ACKNOWLEDGED);
  });

  it('Show Job Details opens a readable Markdown document that follows the job', async () => {
    const jobId = await run<string>('newJob', 'Detailed job');
    await run('addFile', jobId, server.url('/file/detail.bin?size=10'), path.join(downloadFolder('details'), 'detail.bin'));
    const uri = await run<vscode.Uri>('showJobDetails', jobId);
    const doc = await vscode.workspace.openTextDocument(uri);
    assert.equal(doc.languageId, 'markdown');
    assert.match(doc.getText(), /^# Detailed job/);
    assert.match(doc.getText(), /\| State \| Suspended/);
    assert.ok(doc.getText().includes('detail\\.bin'));
    await run('setPriority', jobId, 'LOW');
    await waitFor('the document to show the new priority', () => doc.getText().includes('| Priority | Low |'));
  });

  it('Reveal Downloaded File shows a completed file in the Explorer; Copy URL copies its URL', async () => {
    const { hooks, engine } = await extensionApi();
    const url = server.url('/file/reveal-me.bin?size=10');
    const jobId = await run<string>('newDownload', url, { destination: downloadFolder('reveal') });
    await waitForState(engine, jobId, JobState.ACKNOWLEDGED);
    hooks.model.flush();
    const [file] = hooks.tree.getChildren(hooks.tree.itemFor(jobId)) as { kind: string }[];
    const revealed = await run<{ path: string; where: string }>('revealFile', file);
    assert.equal(revealed.where, 'explorer');
    assert.ok(revealed.path.endsWith('reveal-me.bin'));
    assert.equal(await run('copyUrl', file), url);
    assert.equal(await run('copyUrl', { jobId, fileIndex: 0 }), url);
  });

  it('Reveal Downloaded File outside the workspace uses the file manager, or says where the file is', async () => {
    const { hooks, engine } = await extensionApi();
    const outside = fs.mkdtempSync(path.join(testFixture().scratchDir, 'outside-'));
    const jobId = await run<string>('newDownload', server.url('/file/elsewhere.bin?size=10'), { destination: outside });
    await waitForState(engine, jobId, JobState.ACKNOWLEDGED);
    const revealed = await run<{ path: string; where: string }>('revealFile', { jobId, fileIndex: 0 });
    assert.equal(revealed.path, path.join(outside, 'elsewhere.bin'));
    if (revealed.where === 'message') {
      const note = hooks.messages.recent.at(-1)!;
      assert.ok(note.text.includes(revealed.path));
      assert.deepEqual(note.actions, ['Copy Path']);
    } else {
      assert.equal(revealed.where, 'os');
    }
  });

  it('Reveal Downloaded File before completion explains why it cannot', async () => {
    const { hooks } = await extensionApi();
    const jobId = await run<string>('newJob', 'Not yet');
    await run('addFile', jobId, server.url('/file/later.bin?size=10'), path.join(downloadFolder('later'), 'later.bin'));
    assert.equal(await run('revealFile', { jobId, fileIndex: 0 }), undefined);
    assert.match(hooks.messages.recent.at(-1)!.text, /appear at their destination only when the job is completed/);
  });

  it('Show Log shows the log channel', async () => {
    assert.equal(await run('showLog'), undefined);
  });
});
