// Composition root: builds the service, the view and the commands, and returns the public API.
import * as vscode from 'vscode';

export function activate(context: vscode.ExtensionContext) {
  const log = vscode.window.createOutputChannel('Managed Downloads', { log: true });
  context.subscriptions.push(log);
  context.subscriptions.push(
    vscode.commands.registerCommand('managedDownloads.showLog', () => log.show()),
    vscode.commands.registerCommand('managedDownloads.newDownload', () => undefined),
  );
  log.info('[Extension] activated');
  return {};
}

export function deactivate() {}
