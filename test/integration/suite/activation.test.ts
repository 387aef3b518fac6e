// The extension loads into a real VS Code's Node extension host, activates on its own, and runs where
// the runner said (the fresh workspace, trusted or not).
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { waitUntil } from '../../support/wait';
import { extensionUnderTest, manifest } from '../extension-under-test';
import { testFixture } from '../fixture';

suite('Activation', () => {
  test('activates by itself after startup (onStartupFinished), without a command being run', async () => {
    const ext = extensionUnderTest();
    await waitUntil('the extension to be active by itself (it was not, 20 s after the tests started)', () => ext.isActive, {
      timeoutMs: 20_000,
      intervalMs: 100,
    });
  });

  test('runs the esbuild bundle named by package.json main', () => {
    const ext = extensionUnderTest();
    const main = (ext.packageJSON as { main: string }).main;
    assert.match(main, /^\.\/dist\//);
    assert.ok(existsSync(join(ext.extensionPath, main)), `${main} does not exist under ${ext.extensionPath}`);
  });

  test('activate returns an API object for other extensions', async () => {
    const api: unknown = await extensionUnderTest().activate();
    assert.equal(typeof api, 'object');
    assert.notEqual(api, null);
  });

  test('runs in a Node extension host of a VS Code that satisfies engines.vscode', () => {
    assert.equal(extensionUnderTest().extensionKind, vscode.ExtensionKind.Workspace);
    assert.ok(Number(process.versions.node.split('.')[0]) >= 20, `Node ${process.version}`);
    const wanted = /(\d+)\.(\d+)/.exec(manifest().engines.vscode);
    const actual = /(\d+)\.(\d+)/.exec(vscode.version);
    assert.ok(wanted && actual, `cannot read versions from ${manifest().engines.vscode} and ${vscode.version}`);
    const asNumber = (m: RegExpExecArray) => Number(m[1]) * 1000 + Number(m[2]);
    assert.ok(asNumber(actual) >= asNumber(wanted), `VS Code ${vscode.version} is older than engines.vscode ${manifest().engines.vscode}`);
  });

  test('opened the fresh workspace the runner prepared, with the trust it asked for', () => {
    const fixture = testFixture();
    const folders = vscode.workspace.workspaceFolders ?? [];
    assert.deepEqual(
      folders.map((f) => f.uri.fsPath),
      [fixture.workspaceFolder],
    );
    assert.equal(vscode.workspace.isTrusted, fixture.trusted);
  });
});
