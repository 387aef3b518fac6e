// Overall progress in the status bar while anything transfers, and the number of active jobs on the view's
// badge; both follow the JobsModel's batched changes.
import * as vscode from 'vscode';
import { Disposable } from '../core/lifecycle';
import { formatDuration, formatRate, percentDone } from './format';
import { isActive, isTransferring } from './jobActions';
import type { JobsModel } from './jobsModel';

export class ProgressIndicators extends Disposable {
  readonly item: vscode.StatusBarItem;
  /** Whether the status bar item is shown (StatusBarItem does not say). */
  visible = false;
  constructor(
    private readonly model: JobsModel,
    private readonly treeView: vscode.TreeView<unknown>,
  ) {
    super();
    this.item = this._register(vscode.window.createStatusBarItem('managedDownloads.progress', vscode.StatusBarAlignment.Left, 5));
    this.item.name = vscode.l10n.t('Managed Downloads');
    this.item.command = 'workbench.view.extension.managedDownloads';
    this._register(model.onDidChange(() => this.update()));
    this.update();
  }

  update(): void {
    const jobs = this.model.list();
    const active = jobs.filter((j) => isActive(j.state)).length;
    this.treeView.badge = active
      ? {
          value: active,
          tooltip: active === 1 ? vscode.l10n.t('1 active download job') : vscode.l10n.t('{0} active download jobs', active),
        }
      : undefined;

    const moving = jobs.filter((j) => isTransferring(j.state));
    if (moving.length === 0) {
      this.item.hide();
      this.visible = false;
      return;
    }
    let total: number | null = 0;
    let done = 0;
    let rate = 0;
    for (const job of moving) {
      const p = this.model.progress(job.id);
      done += p.bytesTransferred;
      rate += p.rate;
      total = total === null || p.bytesTotal === null ? null : total + p.bytesTotal;
    }
    const overall = { bytesTotal: total, bytesTransferred: done, filesTotal: 0, filesTransferred: 0, rate };
    const percent = percentDone(overall);
    const parts = [
      `$(cloud-download) ${moving.length === 1 ? vscode.l10n.t('1 download') : vscode.l10n.t('{0} downloads', moving.length)}`,
    ];
    if (percent !== undefined) parts.push(`${percent}%`);
    if (rate > 0) parts.push(formatRate(rate));
    this.item.text = parts.join(' · ');
    const names = moving.map((j) => j.displayName).join(', ');
    this.item.tooltip =
      rate > 0 && total !== null
        ? vscode.l10n.t('Managed Downloads: {0} · {1} left. Click to show the jobs.', names, formatDuration((total - done) / rate))
        : vscode.l10n.t('Managed Downloads: {0}. Click to show the jobs.', names);
    this.item.show();
    this.visible = true;
  }
}
