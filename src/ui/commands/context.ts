// What command handlers share: the engine, the UI's model of the jobs, messages, the log and the view.
import type * as vscode from 'vscode';
import type { EngineHost } from '../engineHost';
import type { JobsModel } from '../jobsModel';
import type { Logger } from '../log';
import type { UserMessages } from '../messages';
import type { TreeNode } from '../tree/items';
import type { JobTreeProvider } from '../tree/provider';

export interface CommandContext {
  readonly engines: EngineHost;
  readonly model: JobsModel;
  readonly log: Logger;
  readonly messages: UserMessages;
  readonly tree: JobTreeProvider;
  readonly treeView: vscode.TreeView<TreeNode>;
}

/** A command's id and handler; registered through the CommandRunner. */
export interface CommandDefinition {
  readonly id: string;
  readonly handler: (...args: unknown[]) => unknown;
}
