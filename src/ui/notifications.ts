// Tells the person when their downloads finish or fail, with the next step as a button. Only jobs made in
// this workspace's UI are announced: jobs of other extensions are theirs to report (BITS notifies the owner).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { codeName, Codes, ErrorContext } from '../core/errors';
import { Disposable } from '../core/lifecycle';
import { JobState, type JobChangeEvent, type JobSnapshot } from '../core/model/job';
import { CommandIds } from './commands/ids';
import { revealPath } from './commands/view';
import { formatBytes, progressFromFiles, shortError } from './format';
import type { JobsModel } from './jobsModel';
import type { UserMessages } from './messages';
import { settings } from './settings';

/** Transient errors a person must act on (retrying alone will not fix them), so they are announced. */
function needsAttention(job: JobSnapshot): boolean {
  return (
    job.error?.context === ErrorContext.SERVER_CERTIFICATE_CALLBACK ||
    job.error?.code === Codes.BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED
  );
}

export class Notifier extends Disposable {
  /** Job id -> error code last announced, so a job retrying the same failure is announced once. */
  private readonly announcedErrors = new Map<string, number>();

  constructor(
    model: JobsModel,
    private readonly messages: UserMessages,
    private readonly showLog: () => void,
  ) {
    super();
    this._register(model.onDidChange((change) => change.events.forEach((e) => this.onEvent(e))));
  }

  private onEvent(e: JobChangeEvent): void {
    const job = e.job;
    if (job.owner !== 'workspace' || e.kind !== 'state' || e.previousState === job.state) return;
    switch (job.state) {
      case JobState.TRANSFERRING:
        this.announcedErrors.delete(job.id);
        return;
      case JobState.TRANSFERRED:
        if (!job.autoComplete && settings.notifyOnCompletion()) this.transferred(job);
        return;
      case JobState.ACKNOWLEDGED:
        if (settings.notifyOnCompletion()) this.completed(job);
        return;
      case JobState.ERROR:
        if (settings.notifyOnError()) this.failed(job, 'error');
        return;
      case JobState.TRANSIENT_ERROR:
        if (needsAttention(job) && settings.notifyOnError()) this.failed(job, 'warning');
        return;
    }
  }

  private transferred(job: JobSnapshot): void {
    this.messages.show('info', vscode.l10n.t('"{0}" is transferred. Complete it to put its files in place.', job.displayName), {
      [vscode.l10n.t('Complete')]: () => vscode.commands.executeCommand(CommandIds.complete, job.id),
    });
  }

  private completed(job: JobSnapshot): void {
    const kept = job.files.filter((f) => f.transferred);
    if (kept.length === 0) return;
    const size = formatBytes(progressFromFiles(job).bytesTransferred);
    const text =
      kept.length === 1
        ? vscode.l10n.t('Downloaded {0} ({1}).', path.basename(kept[0].localPath), size)
        : vscode.l10n.t('Downloaded "{0}": {1} files ({2}).', job.displayName, kept.length, size);
    this.messages.show('info', text, {
      [vscode.l10n.t('Open')]: () =>
        kept.length === 1
          ? vscode.commands.executeCommand('vscode.open', vscode.Uri.file(kept[0].localPath))
          : revealPath(path.dirname(kept[0].localPath), this.messages),
      [vscode.l10n.t('Reveal in Explorer')]: () => revealPath(kept[0].localPath, this.messages),
    });
  }

  private failed(job: JobSnapshot, severity: 'error' | 'warning'): void {
    const code = job.error?.code ?? 0;
    if (this.announcedErrors.get(job.id) === code) return;
    this.announcedErrors.set(job.id, code);
    const text =
      severity === 'error'
        ? vscode.l10n.t('"{0}" failed: {1} ({2})', job.displayName, shortError(job), codeName(code))
        : vscode.l10n.t('"{0}" is waiting: {1} ({2})', job.displayName, shortError(job), codeName(code));
    this.messages.show(severity, text, {
      [vscode.l10n.t('Retry')]: () => vscode.commands.executeCommand(CommandIds.retryNow, job.id),
      [vscode.l10n.t('Show Log')]: () => this.showLog(),
    });
  }
}
