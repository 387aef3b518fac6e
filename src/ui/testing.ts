// What the extension's own integration tests (and the bench) reach inside it. Never on the object activate()
// returns: a command that exists only when VS Code runs the extension under its tests
// (ExtensionMode.Test, i.e. with extensionTestsPath), which a shipped install never is. Its id starts with
// an underscore, so it is hidden from the command list. Not part of the public API; it may change.
import type { DownloadEngine } from '../core/model/job';
import type { ManagedDownloadsClient } from '../api';
import type { CertificateService } from '../core/tls/service';
import type { DownloadHistory } from './history';
import type { ContextKeys } from './contextKeys';
import type { JobsModel } from './jobsModel';
import type { UserMessages } from './messages';
import type { ProgressIndicators } from './statusBar';
import type { TreeNode } from './tree/items';
import type { JobTreeProvider } from './tree/provider';
import type * as vscode from 'vscode';

export const TEST_HOOKS_COMMAND = '_managedDownloads.testHooks';

export interface InternalTestingHooks {
  readonly tree: JobTreeProvider;
  readonly treeView: vscode.TreeView<TreeNode>;
  readonly model: JobsModel;
  readonly history: DownloadHistory;
  readonly messages: UserMessages;
  readonly indicators: ProgressIndicators;
  /** The job context keys as last set (VS Code has no API to read a context key). */
  readonly contextKeys: ContextKeys;
  /** Command ids registered at activation. */
  readonly commandIds: readonly string[];
  readonly storeDir: string;
  /** How long activate() took, in milliseconds. */
  readonly activationMs: number;
  /** The engine, opened if it was not yet. */
  engine(): Promise<DownloadEngine>;
  /** The API client of any owner, without forExtension's caller check (to act as another extension). */
  apiClientFor(owner: string): ManagedDownloadsClient;
  /** The certificate service of the engine's connection path. */
  certificates(): Promise<CertificateService>;
  /** The extension's SecretStorage itself, as another window shares it (to change a secret behind this window). */
  readonly secrets: vscode.SecretStorage;
}
