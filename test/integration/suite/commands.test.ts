// package.json and the code must agree on commands: every contributed command is registered at
// activation, every registered managedDownloads.* command is contributed, and menus and welcome
// views only point at contributed commands.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activated, manifest, type ContributedCommand } from '../extension-under-test';

const PREFIX = 'managedDownloads.';

function contributedCommands(): ContributedCommand[] {
  return (manifest().contributes?.commands as ContributedCommand[] | undefined) ?? [];
}

/** View ids we contribute: VS Code itself registers `<viewId>.focus` and the others below for each of them. */
function contributedViewIds(): string[] {
  const views = (manifest().contributes?.views as Record<string, { id: string }[]> | undefined) ?? {};
  return Object.values(views)
    .flat()
    .map((v) => v.id);
}

// Seen on VS Code 1.139.1 for the view managedDownloads.jobs. Listed exactly, so that a command of ours
// named like a view's is not waved through.
const VIEW_COMMAND_SUFFIXES = ['open', 'focus', 'resetViewLocation', 'toggleVisibility', 'removeView'];

function generatedByVsCodeForAView(command: string): boolean {
  return contributedViewIds().some((viewId) => VIEW_COMMAND_SUFFIXES.some((suffix) => command === `${viewId}.${suffix}`));
}

async function registeredCommands(): Promise<string[]> {
  await activated();
  return (await vscode.commands.getCommands(true)).filter((c) => c.startsWith(PREFIX) && !generatedByVsCodeForAView(c));
}

suite('Commands: package.json and registration agree', () => {
  test('every command contributed in package.json is registered after activation', async () => {
    const registered = new Set(await registeredCommands());
    const missing = contributedCommands()
      .map((c) => c.command)
      .filter((c) => !registered.has(c));
    assert.deepEqual(missing, [], `contributed in package.json but not registered at activation: ${missing.join(', ')}`);
  });

  test('every registered managedDownloads.* command is contributed in package.json', async () => {
    const contributed = new Set(contributedCommands().map((c) => c.command));
    const extra = (await registeredCommands()).filter((c) => !contributed.has(c));
    assert.deepEqual(extra, [], `registered but not contributed in package.json: ${extra.join(', ')}`);
  });

  test('every contributed command is in the "Managed Downloads" category, with a title', () => {
    const wrong = contributedCommands().filter((c) => c.category !== 'Managed Downloads' || !c.title);
    assert.deepEqual(
      wrong.map((c) => c.command),
      [],
    );
  });

  test('menus and welcome views only refer to contributed commands', () => {
    const contributed = new Set(contributedCommands().map((c) => c.command));
    const contributes = manifest().contributes ?? {};
    const menus = (contributes.menus as Record<string, { command?: string }[]> | undefined) ?? {};
    const fromMenus = Object.values(menus)
      .flat()
      .map((m) => m.command)
      .filter((c): c is string => !!c);
    const welcome = (contributes.viewsWelcome as { contents: string }[] | undefined) ?? [];
    const fromWelcome = welcome.flatMap((w) => [...w.contents.matchAll(/\(command:([\w.]+)/g)].map((m) => m[1]));
    const unknown = [...fromMenus, ...fromWelcome].filter((c) => c.startsWith(PREFIX) && !contributed.has(c));
    assert.deepEqual(unknown, [], `referred to but not contributed: ${unknown.join(', ')}`);
  });
});
