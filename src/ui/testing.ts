// What the integration tests reach through the API object, under a name no client should use.
// Not part of the public API (src/api.ts); it may change without notice.
import type { DownloadEngine } from '../core/jobs/model';
import type { CertificateService } from '../core/tls/service';
import type { JobsModel } from './jobsModel';
import type { UserMessages } from './messages';
import type { ProgressIndicators } from './statusBar';
import type { TreeNode } from './tree/items';
import type { JobTreeProvider } from './tree/provider';
import type * as vscode from 'vscode';

export const INTERNAL_TESTING_KEY = '__managedDownloadsInternalForTests';

export interface InternalTestingHooks {
  readonly tree: JobTreeProvider;
  readonly treeView: vscode.TreeView<TreeNode>;
  readonly model: JobsModel;
  readonly messages: UserMessages;
  readonly indicators: ProgressIndicators;
  /** Command ids registered at activation. */
  readonly commandIds: readonly string[];
  readonly storeDir: string;
  /** How long activate() took, in milliseconds. */
  readonly activationMs: number;
  /** The engine, opened if it was not yet. */
  engine(): Promise<DownloadEngine>;
  /** The certificate service of the engine's connection path. */
  certificates(): Promise<CertificateService>;
}
