// Where a workspace's jobs are kept. Not in the window's workspace storage: a second browser window on the same
// workspace gets a storage folder of its own ("<id>-1"), so two windows would each see half of the jobs. The
// store is keyed by the workspace itself (its folder or .code-workspace file) under the extension's global
// storage; the store's lease then lets one window run it while the others show it.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

export function workspaceStoreDir(context: vscode.ExtensionContext): string {
  const global = context.globalStorageUri.fsPath;
  const identity = vscode.workspace.workspaceFile?.toString() ?? vscode.workspace.workspaceFolders?.[0]?.uri.toString();
  if (!identity) return path.join(global, 'jobs');
  const storeDir = path.join(global, 'workspaces', createHash('sha256').update(identity).digest('hex').slice(0, 16), 'jobs');
  // Jobs made before the store moved here (in the window's own storage) come along once.
  const previous = context.storageUri ? path.join(context.storageUri.fsPath, 'jobs') : undefined;
  if (previous && !fs.existsSync(storeDir) && fs.existsSync(previous)) {
    try {
      fs.mkdirSync(path.dirname(storeDir), { recursive: true });
      fs.renameSync(previous, storeDir);
    } catch {
      // Left where it was; the new store starts empty rather than failing activation.
    }
  }
  return storeDir;
}
