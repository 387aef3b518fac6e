// The Jobs view inside a real VS Code: items, children, context values, icons, descriptions, tooltips,
// badge, status bar and incremental refresh, driven by real downloads from a server on 127.0.0.2.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { JobState } from '../../../src/core/model/job';
import { stateCodicon } from '../../../src/ui/tree/icons';
import type { TreeNode } from '../../../src/ui/tree/items';
import { cancelAllJobs, content, downloadFolder, extensionApi, sha256, TestServer, waitFor, waitForState } from './ui-support';

const STATE_NAMES = [
  'QUEUED',
  'CONNECTING',
  'TRANSFERRING',
  'SUSPENDED',
  'ERROR',
  'TRANSIENT_ERROR',
  'TRANSFERRED',
  'ACKNOWLEDGED',
  'CANCELLED',
];

describe('UI: the Jobs tree', () => {
  let server: TestServer;

  before(async () => {
    server = await new TestServer().start();
  });
  after(async () => {
    const { engine } = await extensionApi();
    await cancelAllJobs(engine);
    await server.stop();
  });
  afterEach(async () => {
    const { engine } = await extensionApi();
    await cancelAllJobs(engine);
  });

  it('shows a new download as a job item with its file as a child, and completes it with the right bytes', async () => {
    const { hooks, engine } = await extensionApi();
    const folder = downloadFolder('tree-basic');
    const jobId = (await vscode.commands.executeCommand('managedDownloads.newDownload', server.url('/file/basic.bin?size=200000'), {
      destination: folder,
    })) as string;
    assert.equal(typeof jobId, 'string', 'New Download returns the job id');
    const done = await waitForState(engine, jobId, JobState.ACKNOWLEDGED);
    assert.equal(sha256(fs.readFileSync(path.join(folder, 'basic.bin'))), sha256(content(200000)));
    assert.deepEqual(fs.readdirSync(folder), ['basic.bin'], 'no temporary file is left beside the download');

    hooks.model.flush();
    const roots = hooks.tree.getChildren() as TreeNode[];
    const item = roots.find((r) => r.kind === 'job' && r.jobId === jobId);
    assert.ok(item && item.kind === 'job', 'the completed job stays in the view');
    assert.equal(item.label, done.displayName);
    assert.equal(item.contextValue, 'job:acknowledged:');
    assert.match(String(item.description), /^Completed · 1 file · 200 KB$/);
    const children = hooks.tree.getChildren(item) as TreeNode[];
    assert.equal(children.length, 1);
    const file = children[0];
    assert.equal(file.kind, 'file');
    assert.equal(file.label, 'basic.bin');
    assert.equal(file.contextValue, 'file:done:canReveal:');
    assert.match(String(file.description), /200 KB → downloads/);
    assert.equal(hooks.tree.getParent(file), item, 'getParent leads back to the job, so reveal() works');
    await hooks.treeView.reveal(file, { select: false, focus: false, expand: true });
  });

  it('gives each of the nine states its own icon', () => {
    const icons = STATE_NAMES.map((_, state) => stateCodicon(state));
    assert.equal(new Set(icons).size, 9, `icons: ${icons.join(', ')}`);
  });

  it('follows a transfer: description with percent and rate, contextValue with canSuspend, badge and status bar', async () => {
    const { hooks, engine } = await extensionApi();
    const folder = downloadFolder('tree-progress');
    const url = server.url('/slow/progress.bin?size=400000&chunk=8000&every=50');
    const jobId = (await vscode.commands.executeCommand('managedDownloads.newDownload', url, { destination: folder })) as string;
    await waitForState(engine, jobId, JobState.TRANSFERRING);
    const item = await waitFor('a description with a percentage', () => {
      hooks.model.flush();
      const it = hooks.tree.itemFor(jobId);
      return it && /^\d+% · /.test(String(it.description)) && /1 file/.test(String(it.description)) ? it : undefined;
    });
    assert.match(String(item.contextValue), /^job:transferring:(.*:)?canSuspend:/);
    assert.doesNotMatch(String(item.contextValue), /:canResume:/);
    assert.equal(hooks.treeView.badge?.value, 1, 'the badge counts the active job');
    assert.match(hooks.indicators.item.text, /1 download/);
    assert.ok(hooks.indicators.visible, 'the status bar item shows while something transfers');

    const resolved = hooks.tree.resolveTreeItem(new vscode.TreeItem('x'), item);
    const tooltip = (resolved.tooltip as vscode.MarkdownString).value;
    assert.match(tooltip, /\*\*Priority:\*\* Normal/);
    assert.match(tooltip, /\*\*Created:\*\*/);
    assert.match(tooltip, /\*\*Progress:\*\*/);

    await waitForState(engine, jobId, JobState.ACKNOWLEDGED, 30000);
    await waitFor('the badge to clear and the status bar to hide', () => {
      hooks.model.flush();
      return hooks.treeView.badge === undefined && !hooks.indicators.visible;
    });
  });

  it('refreshes only the job that changed, not the whole tree', async () => {
    const { hooks, engine } = await extensionApi();
    // A History left full by earlier tests drops its oldest entry when this job finishes, a real change of
    // another node: start from an empty one so that this job is the only thing that changes.
    hooks.history.clear();
    const folder = downloadFolder('tree-incremental');
    const jobId = (await vscode.commands.executeCommand(
      'managedDownloads.newDownload',
      server.url('/slow/inc.bin?size=300000&chunk=10000&every=50'),
      { destination: folder },
    )) as string;
    await waitForState(engine, jobId, JobState.TRANSFERRING);
    hooks.model.flush();
    const before = { ...hooks.tree.stats };
    const fired: unknown[] = [];
    const sub = hooks.tree.onDidChangeTreeData((e) => fired.push(e));
    await waitForState(engine, jobId, JobState.ACKNOWLEDGED, 30000);
    hooks.model.flush();
    sub.dispose();
    const arrays = fired.filter((e) => Array.isArray(e)) as TreeNode[][];
    assert.ok(arrays.length >= 1, 'progress fired item refreshes');
    assert.ok(
      arrays.every((a) => a.every((n) => n.kind === 'job' && n.jobId === jobId)),
      'only the changed job was refreshed',
    );
    assert.equal(hooks.tree.stats.rootRefreshes, before.rootRefreshes, 'no root refresh for progress and state changes of a known job');
  });

  it('redraws only the History node when a full History drops its oldest entry for a new one', async () => {
    const { hooks } = await extensionApi();
    hooks.history.clear();
    const finished = (n: number) =>
      ({ id: `history-fill-${n}`, displayName: `Filled ${n}`, state: JobState.CANCELLED, files: [] }) as unknown as Parameters<
        typeof hooks.history.record
      >[0];
    for (let n = 0; n < 200; n++) hooks.history.record(finished(n));
    hooks.model.flush();
    const roots = hooks.tree.getChildren() as TreeNode[];
    const group = roots.find((r) => r.kind === 'history');
    assert.ok(group, 'the History node is shown');
    assert.equal(group.description, '200');
    const before = { ...hooks.tree.stats };
    const fired: unknown[] = [];
    const sub = hooks.tree.onDidChangeTreeData((e) => fired.push(e));
    hooks.history.record(finished(200));
    sub.dispose();
    assert.equal(hooks.tree.stats.rootRefreshes, before.rootRefreshes, 'no root refresh');
    assert.deepEqual(fired, [[group]], 'one refresh, of the History node');
    const entries = hooks.tree.getChildren(group) as TreeNode[];
    assert.equal(entries.length, 200);
    assert.ok(
      entries.some((e) => e.kind === 'historyEntry' && e.jobId === 'history-fill-200'),
      'the new entry is there',
    );
    assert.ok(!entries.some((e) => e.kind === 'historyEntry' && e.jobId === 'history-fill-0'), 'the oldest is gone');
    hooks.history.clear();
  });

  it('shows an error child with the code, and a short error as the description', async () => {
    const { hooks, engine } = await extensionApi();
    const folder = downloadFolder('tree-error');
    const jobId = (await vscode.commands.executeCommand('managedDownloads.newDownload', server.url('/status/404/missing.bin'), {
      destination: folder,
    })) as string;
    const failed = await waitForState(engine, jobId, JobState.ERROR);
    assert.equal(failed.error?.code, 0x80190194);
    hooks.model.flush();
    const item = hooks.tree.itemFor(jobId)!;
    assert.match(String(item.description), /^Error: /);
    assert.match(String(item.contextValue), /^job:error:(.*:)?canResume:(.*:)?canRetry:/);
    const children = hooks.tree.getChildren(item) as TreeNode[];
    const error = children.find((c) => c.kind === 'error');
    assert.ok(error, 'an error child');
    assert.equal(error.label, 'BG_E_HTTP_ERROR_404');
    assert.equal(error.contextValue, 'error:');
    const tooltip = (hooks.tree.resolveTreeItem(new vscode.TreeItem('x'), item).tooltip as vscode.MarkdownString).value;
    assert.match(tooltip, /0x80190194/);
    assert.match(tooltip, /\*\*Context:\*\* remote file \(5\)/);
  });

  it('shows an empty job with a hint child, and jobs of other extensions with their owner', async () => {
    const { hooks } = await extensionApi();
    const jobId = (await vscode.commands.executeCommand('managedDownloads.newJob', 'Empty job')) as string;
    const client = hooks.apiClientFor('tests.tree-owner');
    const other = await client.createJob({ displayName: 'Owned elsewhere' });
    hooks.model.flush();
    const item = hooks.tree.itemFor(jobId)!;
    assert.equal(item.contextValue, 'job:suspended:canResume:canCancel:canSetPriority:canAddFile:');
    const children = hooks.tree.getChildren(item) as TreeNode[];
    assert.deepEqual(
      children.map((c) => c.kind),
      ['hint'],
    );
    assert.match(String(hooks.tree.itemFor(other.id)!.description), /by tests\.tree-owner$/);
    const roots = hooks.tree.getChildren() as TreeNode[];
    assert.ok(roots.indexOf(hooks.tree.itemFor(other.id)!) < roots.indexOf(item), 'newest job first');
  });
});
