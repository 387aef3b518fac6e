// Opens the connection path once, when first needed: the certificate service with its gated agents
// (Connections) and the workspace validator binding (src/validator), which compiles and watches the
// validator file. Opened with the engine, or at once when the workspace names a validator, so its compile
// errors show in the editor even before any download.
import type * as vscode from 'vscode';
import type { JobSnapshot } from '../../core/model/job';
import { Disposable } from '../../core/lifecycle';
import type { WorkspaceValidatorBinding } from './validatorBinding';
import type { Connections } from './connections';
import type { Logger } from '../log';

export interface OpenConnections {
  readonly connections: Connections;
  readonly validator: WorkspaceValidatorBinding;
}

export class ConnectionHost extends Disposable {
  private opening: Promise<OpenConnections> | undefined;
  private opened: OpenConnections | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly rejectionLogFile: string,
    private readonly jobLookup: (jobId: string) => JobSnapshot | undefined,
    private readonly log: Logger,
  ) {
    super();
  }

  get current(): OpenConnections | undefined {
    return this.opened;
  }

  get(): Promise<OpenConnections> {
    this.opening ??= this.open();
    return this.opening;
  }

  private async open(): Promise<OpenConnections> {
    // Loaded on first use: node-forge, the trust store and the validator compiler cost time at startup.
    const [{ Connections }, { attachWorkspaceValidator }] = await Promise.all([
      import('./connections.js'),
      import('./validatorBinding.js'),
    ]);
    const connections = this._register(new Connections(this.rejectionLogFile, this.jobLookup, this.log.child('Certificates')));
    const validator = attachWorkspaceValidator(this.context, connections.service, this.log.child('Validator'));
    this.opened = { connections, validator };
    return this.opened;
  }

  /** The validator binding is disposed with the extension context's subscriptions, where it registered itself. */
  override dispose(): void {
    super.dispose();
    this.opened = undefined;
  }
}
