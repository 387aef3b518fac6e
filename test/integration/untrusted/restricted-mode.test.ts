// The same extension in a folder VS Code does not trust (restricted mode): package.json declares limited
// support, so it must still activate and offer its commands. What it must not do there (run the
// workspace's validator file) is tested by the certificate-validation suites in this folder.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activated, manifest, type ContributedCommand } from '../extension-under-test';
import { testFixture } from '../fixture';

suite('Restricted mode (untrusted workspace)', () => {
  test('the runner opened the workspace untrusted', () => {
    assert.equal(testFixture().trusted, false);
    assert.equal(vscode.workspace.isTrusted, false);
  });

  test('the extension still activates (untrustedWorkspaces: limited)', async () => {
    const ext = await activated();
    assert.ok(ext.isActive);
  });

  test('its contributed commands are registered', async () => {
    await activated();
    const registered = new Set(await vscode.commands.getCommands(true));
    const contributed = (manifest().contributes?.commands as ContributedCommand[] | undefined) ?? [];
    const missing = contributed.map((c) => c.command).filter((c) => !registered.has(c));
    assert.deepEqual(missing, []);
  });
});
