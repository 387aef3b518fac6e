// The Jobs view's download-manager basics (issue 16), in a real VS Code: a completed file opens on click,
// Copy Path, Download Again, Suspend All / Resume All, and the History that finished jobs go to.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { JobState } from '../../../src/core/model/job';
import type { TreeNode } from '../../../src/ui/tree/items';
import { cancelAllJobs, content, downloadFolder, extensionApi, sha256, TestServer, waitFor, waitForState } from './ui-support';

const run = <T = unknown>(command: string, ...args: unknown[]) => vscode.commands.executeCommand<T>(`managedDownloads.${command}`, ...args);

describe('UI: view actions', () => {
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

  it('a completed file row opens the file on click; a file not yet there has no click action', async () => {
    const { hooks, engine } = await extensionApi();
    const folder = downloadFolder('open-on-click');
    const done = await run<string>('newDownload', server.url('/file/opened.txt?size=500'), { destination: folder });
    await waitForState(engine, done, JobState.ACKNOWLEDGED);
    hooks.model.flush();
    const file = hooks.tree.getChildren(hooks.tree.itemFor(done)!)[0] as TreeNode;
    assert.equal(file.kind, 'file');
    assert.equal(file.command?.command, 'managedDownloads.openFile');
    await vscode.commands.executeCommand(file.command.command, ...(file.command.arguments ?? []));
    // The served bytes are binary: VS Code opens them in its binary editor, not a text editor, so look at the tab.
    const opened = path.join(folder, 'opened.txt');
    await waitFor('the file to open in an editor tab', () =>
      vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => t.input instanceof vscode.TabInputText && t.input.uri.fsPath === opened)),
    );

    const pending = await run<string>('newDownload', server.url('/slow/pending.bin?size=500000&chunk=1000&every=100'), {
      destination: folder,
    });
    hooks.model.flush();
    const pendingFile = hooks.tree.getChildren(hooks.tree.itemFor(pending)!).find((c) => c.kind === 'file')!;
    assert.equal(pendingFile.command, undefined);
    assert.equal(await run('openFile', pendingFile), undefined, 'Open File on an unfinished file is refused');
    assert.match(hooks.messages.recent.at(-1)!.text, /no downloaded file yet/);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('Reveal in File Manager reveals the file, or where there is no file manager says where it is with Copy Path', async () => {
    const { hooks, engine } = await extensionApi();
    const folder = downloadFolder('reveal-os');
    const jobId = await run<string>('newDownload', server.url('/file/revealed.bin?size=10'), { destination: folder });
    await waitForState(engine, jobId, JobState.ACKNOWLEDGED);
    hooks.model.flush();
    const file = hooks.tree.getChildren(hooks.tree.itemFor(jobId)!).find((c) => c.kind === 'file')!;
    const shownBefore = hooks.messages.recent.length;
    assert.equal(await run('revealFileInOS', file), path.join(folder, 'revealed.bin'));
    const hasFileManager = (await vscode.commands.getCommands(true)).includes('revealFileInOS');
    if (!hasFileManager) {
      const message = hooks.messages.recent.at(-1)!;
      assert.ok(hooks.messages.recent.length > shownBefore, 'a message says where the file is');
      assert.match(message.text, /revealed\.bin/);
      await message.choose('Copy Path');
      assert.equal(await vscode.env.clipboard.readText(), path.join(folder, 'revealed.bin'));
    }
  });

  it('Copy Path copies the final path of a file, or of every file of a job', async () => {
    const { hooks, engine } = await extensionApi();
    const folder = downloadFolder('copy-path');
    const jobId = await run<string>('newDownload', [server.url('/file/p1.bin?size=10'), server.url('/file/p2.bin?size=10')], {
      destination: folder,
    });
    await waitForState(engine, jobId, JobState.ACKNOWLEDGED);
    hooks.model.flush();
    const item = hooks.tree.itemFor(jobId)!;
    assert.equal(await run('copyPath', item, [item]), `${path.join(folder, 'p1.bin')}\n${path.join(folder, 'p2.bin')}`);
    assert.equal(await vscode.env.clipboard.readText(), `${path.join(folder, 'p1.bin')}\n${path.join(folder, 'p2.bin')}`);
    const second = hooks.tree.getChildren(item).filter((c) => c.kind === 'file')[1];
    assert.equal(await run('copyPath', second), path.join(folder, 'p2.bin'));
  });

  it('Download Again makes a new job with the same URL and a name that overwrites nothing', async () => {
    const { hooks, engine } = await extensionApi();
    const folder = downloadFolder('again');
    const first = await run<string>('newDownload', server.url('/file/again.bin?size=4000'), { destination: folder });
    await waitForState(engine, first, JobState.ACKNOWLEDGED);
    fs.writeFileSync(path.join(folder, 'again.bin'), 'edited by the person');
    hooks.model.flush();
    const [second] = (await run<string[]>('downloadAgain', hooks.tree.itemFor(first)))!;
    assert.notEqual(second, first);
    const job = await waitForState(engine, second, JobState.ACKNOWLEDGED);
    assert.equal(job.files[0].remoteUrl, server.url('/file/again.bin?size=4000'));
    assert.equal(job.files[0].localPath, path.join(folder, 'again (1).bin'));
    assert.equal(sha256(fs.readFileSync(path.join(folder, 'again (1).bin'))), sha256(content(4000)));
    assert.equal(fs.readFileSync(path.join(folder, 'again.bin'), 'utf8'), 'edited by the person', 'the first file is untouched');
  });

  it('Suspend All and Resume All act on every job that can, and skip the ones that cannot', async () => {
    const { hooks, engine } = await extensionApi();
    const folder = downloadFolder('all');
    const a = await run<string>('newDownload', server.url('/slow/all-a.bin?size=300000&chunk=2000&every=50'), { destination: folder });
    const b = await run<string>('newDownload', server.url('/slow/all-b.bin?size=300000&chunk=2000&every=50'), { destination: folder });
    const empty = await run<string>('newJob', 'Empty job');
    const suspended = (await run<string[]>('suspendAll'))!;
    assert.ok(suspended.includes(a) && suspended.includes(b), `suspended ${suspended.join(', ')}`);
    assert.ok(!suspended.includes(empty), 'a job already suspended is not suspended again');
    await waitForState(engine, a, JobState.SUSPENDED);
    await waitForState(engine, b, JobState.SUSPENDED);
    hooks.model.flush();
    const resumed = (await run<string[]>('resumeAll'))!;
    assert.ok(resumed.includes(a) && resumed.includes(b));
    assert.ok(!resumed.includes(empty), 'an empty job is not resumed (BITS would refuse it)');
    await waitForState(engine, a, JobState.ACKNOWLEDGED, 30000);
    await waitForState(engine, b, JobState.ACKNOWLEDGED, 30000);
    assert.equal(sha256(fs.readFileSync(path.join(folder, 'all-b.bin'))), sha256(content(300000)));
    assert.equal(engine.getJob(empty)?.state, JobState.SUSPENDED);
  });

  it('finished jobs go to the History when cleared; Download Again, Copy URL and Remove work there', async () => {
    const { hooks, engine } = await extensionApi();
    const folder = downloadFolder('history');
    const url = server.url('/file/kept.bin?size=1234');
    const jobId = await run<string>('newDownload', url, { destination: folder, displayName: 'Kept in history' });
    await waitForState(engine, jobId, JobState.ACKNOWLEDGED);
    await waitFor('the History to record the job', () => hooks.history.get(jobId));
    hooks.model.flush();
    const rootsBefore = hooks.tree.getChildren() as TreeNode[];
    const groupBefore = rootsBefore.find((r) => r.kind === 'history');
    const inHistoryBefore = groupBefore
      ? (hooks.tree.getChildren(groupBefore) as TreeNode[]).some((e) => e.kind === 'historyEntry' && e.jobId === jobId)
      : false;
    assert.equal(inHistoryBefore, false, 'a finished job still in the list is not shown twice');

    assert.ok((await run<string[]>('clearFinished'))!.includes(jobId));
    hooks.model.flush();
    const group = (hooks.tree.getChildren() as TreeNode[]).find((r) => r.kind === 'history')!;
    assert.ok(group, 'the History node shows');
    assert.equal(group.contextValue, 'history:');
    const entry = (hooks.tree.getChildren(group) as TreeNode[]).find((e) => e.kind === 'historyEntry' && e.jobId === jobId)!;
    assert.ok(entry);
    assert.equal(entry.label, 'Kept in history');
    assert.equal(entry.contextValue, 'historyEntry:completed:');
    assert.match(String(entry.description), /^Completed · 1 file · 1\.2 KB · /);
    assert.equal(hooks.tree.getParent(entry), group);

    assert.equal(await run('copyUrl', entry, [entry]), url);
    assert.equal(await run('copyPath', entry), path.join(folder, 'kept.bin'));
    const [again] = (await run<string[]>('downloadAgain', entry, [entry]))!;
    const job = await waitForState(engine, again, JobState.ACKNOWLEDGED);
    assert.equal(job.files[0].localPath, path.join(folder, 'kept (1).bin'));
    assert.equal(job.displayName, 'Kept in history');

    assert.deepEqual(await run('removeFromHistory', entry, [entry]), [jobId]);
    assert.equal(hooks.history.get(jobId), undefined);
    const count = await run<number>('clearHistory');
    assert.ok(count! >= 1, 'the second download is in the History too');
    assert.equal(hooks.history.list().length, 0);
    hooks.model.flush();
    assert.ok(!(hooks.tree.getChildren() as TreeNode[]).some((r) => r.kind === 'history'), 'an empty History has no node');
    assert.ok(fs.existsSync(path.join(folder, 'kept.bin')), 'clearing the History keeps the files');
  });

  it('a download folder set for the workspace folder is used, relative to that folder', async () => {
    const { engine } = await extensionApi();
    const workspaceFolder = vscode.workspace.workspaceFolders![0];
    const config = () => vscode.workspace.getConfiguration('managedDownloads', workspaceFolder.uri);
    await config().update('defaultDownloadFolder', 'downloads/per-folder', vscode.ConfigurationTarget.WorkspaceFolder);
    try {
      const jobId = await run<string>('newDownload', server.url(`/file/per-folder-${Date.now()}.bin?size=100`));
      const job = await waitForState(engine, jobId, JobState.ACKNOWLEDGED);
      assert.equal(path.dirname(job.files[0].localPath), path.join(workspaceFolder.uri.fsPath, 'downloads', 'per-folder'));
    } finally {
      await config().update('defaultDownloadFolder', undefined, vscode.ConfigurationTarget.WorkspaceFolder);
    }
  });
});
