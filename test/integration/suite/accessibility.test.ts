// Every row of the Jobs view carries accessibility information: a screen reader hears the row's name,
// its state and its progress in words, with the tree-item role.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { JobState } from '../../../src/core/model/job';
import type { TreeNode } from '../../../src/ui/tree/items';
import { downloadFolder, extensionApi, TestServer, waitForState } from './ui-support';

suite('Accessibility: every Jobs view row says what it is', () => {
  let server: TestServer;
  suiteSetup(async () => (server = await new TestServer().start()));
  suiteTeardown(() => server.stop());

  test('job, file and error rows have a label in words and the treeitem role', async () => {
    const { hooks, engine } = await extensionApi();
    const folder = downloadFolder('a11y');
    const failing = await engine.createJob({ displayName: 'a11y failing' });
    await engine.addFile(failing.id, { remoteUrl: server.url('/status/404/missing.bin'), localPath: path.join(folder, 'missing.bin') });
    await engine.resume(failing.id);
    await waitForState(engine, failing.id, JobState.ERROR);
    const waiting = await engine.createJob({ displayName: 'a11y waiting' });
    await engine.addFile(waiting.id, { remoteUrl: server.url('/file/later.bin?size=5000'), localPath: path.join(folder, 'later.bin') });
    hooks.model.flush();

    const rows: TreeNode[] = [];
    const walk = (parent?: TreeNode) => {
      for (const node of hooks.tree.getChildren(parent) as TreeNode[]) {
        rows.push(node);
        if (node.collapsibleState !== vscode.TreeItemCollapsibleState.None) walk(node);
      }
    };
    walk();
    const kinds = new Set(rows.filter((r) => r.id?.includes(failing.id) || r.id?.includes(waiting.id)).map((r) => r.kind));
    for (const kind of ['job', 'file', 'error']) assert.ok(kinds.has(kind as TreeNode['kind']), `no ${kind} row to check`);

    for (const row of rows) {
      const item = hooks.tree.getTreeItem(row);
      const info = item.accessibilityInformation;
      assert.ok(info?.label, `row ${row.id} has no accessibility label`);
      assert.equal(info.role, 'treeitem', `row ${row.id}`);
      const label = typeof item.label === 'string' ? item.label : item.label?.label;
      if (label) assert.ok(info.label.includes(label), `row ${row.id}: "${info.label}" does not name "${label}"`);
    }
    const jobLabel = (id: string) => hooks.tree.getTreeItem(rows.find((r) => r.id === `job/${id}`)!).accessibilityInformation?.label ?? '';
    assert.match(jobLabel(failing.id), /^Download job a11y failing, Error, /);
    assert.match(jobLabel(waiting.id), /^Download job a11y waiting, Suspended, .*1 file/);
    const fileRow = rows.find((r) => r.id === `job/${waiting.id}/file/0`)!;
    assert.match(hooks.tree.getTreeItem(fileRow).accessibilityInformation?.label ?? '', /^File later\.bin, waiting, /);
    await engine.cancel(failing.id);
    await engine.cancel(waiting.id);
  });
});
