// Keeps the job context keys (jobContextKeys.ts) current as the job list changes. Sets a key only when its
// value changes: setContext is a round trip to the workbench, and jobs change several times a second.
import * as vscode from 'vscode';
import { Disposable } from '../core/lifecycle';
import { jobContextKeyValues, type JobContextKey } from './jobContextKeys';
import type { JobsModel } from './jobsModel';

export class ContextKeys extends Disposable {
  private readonly values = new Map<JobContextKey, boolean>();

  constructor(private readonly model: JobsModel) {
    super();
    this.update();
    this._register(model.onDidChange(() => this.update()));
  }

  /** The value last set for a key (the integration tests read it; VS Code offers no way to). */
  get(key: JobContextKey): boolean | undefined {
    return this.values.get(key);
  }

  private update(): void {
    for (const [key, value] of Object.entries(jobContextKeyValues(this.model.list())) as [JobContextKey, boolean][]) {
      if (this.values.get(key) === value) continue;
      this.values.set(key, value);
      void vscode.commands.executeCommand('setContext', key, value);
    }
  }
}
