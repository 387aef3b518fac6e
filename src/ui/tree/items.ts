// The tree's node types. Each is a TreeItem that keeps the identity VS Code knows it by and is updated in
// place from the newest snapshot, so refreshing one job redraws that job only.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { codeName, formatCode } from '../../core/errors';
import { JobState, type FileRecord, type JobProgress, type JobSnapshot } from '../../core/model/job';
import { describeJob, errorContextLabels, formatBytes, shortError } from '../format';
import { CommandIds } from '../commands/ids';
import { fileContextValue, fileIsDelivered, jobContextValue } from '../jobActions';
import { escapeMarkdown, jobTooltipMarkdown } from '../jobMarkdown';
import type { HistoryEntryItem, HistoryGroupItem } from './historyItems';
import { errorAccessibilityLabel, fileAccessibilityLabel, jobAccessibilityLabel } from '../treeAccessibility';
import { fileIcon, stateIcon } from './icons';

export class JobItem extends vscode.TreeItem {
  readonly kind = 'job';
  /** Children by key, kept so their identity (and expansion) survives refreshes. */
  readonly children = new Map<string, JobChildItem>();

  constructor(
    public job: JobSnapshot,
    public progress: JobProgress,
  ) {
    super(job.displayName, vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `job/${job.id}`;
    this.update(job, progress);
  }

  get jobId(): string {
    return this.job.id;
  }

  private currentFile: number | undefined;

  /** The file being transferred (files of a job go one at a time): the first one not yet whole. */
  currentFileIndex(): number {
    this.currentFile ??= this.job.files.findIndex((f) => !f.transferred);
    return this.currentFile;
  }

  update(job: JobSnapshot, progress: JobProgress): void {
    this.job = job;
    this.progress = progress;
    this.currentFile = undefined;
    this.label = job.displayName;
    this.description = describeJob(job, progress);
    this.iconPath = stateIcon(job.state);
    this.contextValue = jobContextValue(job);
    // Built on hover (resolveTreeItem), not on every refresh: a thousand jobs stay cheap.
    this.tooltip = undefined;
    this.accessibilityInformation = { label: jobAccessibilityLabel(job, progress), role: 'treeitem' };
  }

  resolveTooltip(): vscode.MarkdownString {
    return new vscode.MarkdownString(jobTooltipMarkdown(this.job, this.progress));
  }
}

/** A path as a person thinks of it: relative to the workspace folder when inside it, `~` for home. */
export function friendlyPath(p: string): string {
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(p));
  if (folder) return path.relative(folder.uri.fsPath, p) || '.';
  const home = process.env.HOME;
  return home && p.startsWith(home + path.sep) ? '~' + p.slice(home.length) : p;
}

export class FileItem extends vscode.TreeItem {
  readonly kind = 'file';

  constructor(
    readonly parent: JobItem,
    readonly index: number,
  ) {
    super('', vscode.TreeItemCollapsibleState.None);
    this.id = `${parent.id}/file/${index}`;
    this.refresh();
  }

  get file(): FileRecord {
    return this.parent.job.files[this.index];
  }

  refresh(): void {
    const job = this.parent.job;
    const file = this.file;
    const current =
      (job.state === JobState.TRANSFERRING || job.state === JobState.CONNECTING) && this.parent.currentFileIndex() === this.index;
    this.label = path.basename(file.localPath);
    const size =
      file.bytesTotal === null
        ? formatBytes(file.bytesTransferred)
        : file.transferred
          ? formatBytes(file.bytesTotal)
          : `${file.bytesTotal > 0 ? Math.floor((file.bytesTransferred / file.bytesTotal) * 100) : 0}% · ${formatBytes(file.bytesTransferred)} of ${formatBytes(file.bytesTotal)}`;
    const folder = friendlyPath(path.dirname(file.localPath));
    this.description = `${size} → ${folder}`;
    this.accessibilityInformation = { label: fileAccessibilityLabel(file, current, folder), role: 'treeitem' };
    this.iconPath = fileIcon(file, current);
    this.contextValue = fileContextValue(job, file);
    this.resourceUri = vscode.Uri.file(file.localPath);
    // A click on a downloaded file opens it, as in a browser's download list (see Open File for where).
    this.command = fileIsDelivered(job, file)
      ? { command: CommandIds.openFile, title: vscode.l10n.t('Open File'), arguments: [this] }
      : undefined;
    // Built on hover (resolveTreeItem): a job of a thousand files redraws without a thousand tooltips.
    this.tooltip = undefined;
  }

  resolveTooltip(): vscode.MarkdownString {
    const file = this.file;
    return new vscode.MarkdownString(
      [
        `**${escapeMarkdown(path.basename(file.localPath))}**`,
        vscode.l10n.t('**URL:** {0}', escapeMarkdown(file.remoteUrl)),
        ...(file.finalUrl && file.finalUrl !== file.remoteUrl
          ? [vscode.l10n.t('**Redirected to:** {0}', escapeMarkdown(file.finalUrl))]
          : []),
        vscode.l10n.t('**Destination:** {0}', escapeMarkdown(file.localPath)),
        vscode.l10n.t(
          '**Transferred:** {0} of {1}',
          formatBytes(file.bytesTransferred),
          file.bytesTotal === null ? vscode.l10n.t('unknown size') : formatBytes(file.bytesTotal),
        ),
        ...(file.sha256 ? [vscode.l10n.t('**Expected sha256:** `{0}`', file.sha256)] : []),
      ].join('  \n'),
    );
  }
}

export class ErrorItem extends vscode.TreeItem {
  readonly kind = 'error';

  constructor(readonly parent: JobItem) {
    super('', vscode.TreeItemCollapsibleState.None);
    this.id = `${parent.id}/error`;
    this.contextValue = 'error:';
    this.refresh();
  }

  refresh(): void {
    const job = this.parent.job;
    const error = job.error;
    if (!error) return;
    this.label = codeName(error.code);
    this.description = shortError(job);
    this.accessibilityInformation = { label: errorAccessibilityLabel(job, codeName(error.code)), role: 'treeitem' };
    this.iconPath = new vscode.ThemeIcon(
      job.state === JobState.ERROR ? 'error' : 'warning',
      new vscode.ThemeColor(job.state === JobState.ERROR ? 'problemsErrorIcon.foreground' : 'problemsWarningIcon.foreground'),
    );
    this.tooltip = new vscode.MarkdownString(
      [
        escapeMarkdown(error.description),
        `**Code:** \`${codeName(error.code)}\` (\`${formatCode(error.code)}\`)`,
        `**Context:** ${errorContextLabels[error.context] ?? error.context} (${error.context})`,
      ].join('  \n'),
    );
  }
}

/** A line of guidance where a job has nothing to show yet. */
export class HintItem extends vscode.TreeItem {
  readonly kind = 'hint';

  constructor(
    readonly parent: JobItem,
    key: string,
    label: string,
  ) {
    super(label, vscode.TreeItemCollapsibleState.None);
    this.id = `${parent.id}/hint/${key}`;
    this.contextValue = 'hint:';
    this.iconPath = new vscode.ThemeIcon('info');
    this.accessibilityInformation = { label, role: 'treeitem' };
  }

  refresh(): void {}
}

/** "Certificate cache (2)" or "Certificate rejections (14)": a job's certificate history, expandable. */
export class CertificateGroupItem extends vscode.TreeItem {
  readonly kind = 'certificates';
  readonly children = new Map<string, CertificateEntryItem>();

  constructor(
    readonly parent: JobItem,
    readonly group: 'cache' | 'rejections',
    count: number,
  ) {
    super('', vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `${parent.id}/certificates/${group}`;
    this.contextValue = `certificates:${group}:`;
    this.update(count);
  }

  update(count: number): void {
    this.label = this.group === 'cache' ? vscode.l10n.t('Accepted certificates') : vscode.l10n.t('Certificate rejections');
    this.description = String(count);
    this.accessibilityInformation = { label: `${this.label}, ${count}`, role: 'treeitem' };
    this.iconPath = new vscode.ThemeIcon(
      this.group === 'cache' ? 'verified' : 'shield',
      this.group === 'cache' ? undefined : new vscode.ThemeColor('problemsWarningIcon.foreground'),
    );
    this.tooltip =
      this.group === 'cache'
        ? vscode.l10n.t(
            'Certificates the validator accepted for this job (host:port and sha256). A cached certificate skips the validator, never the platform check. Reloading the validator clears them.',
          )
        : vscode.l10n.t('Unsuccessful certificate checks of this job, counted per server.');
  }

  refresh(): void {}
}

/** One accepted certificate, or one server's rejections. */
export class CertificateEntryItem extends vscode.TreeItem {
  readonly kind = 'certificate';

  constructor(
    readonly parent: CertificateGroupItem,
    key: string,
  ) {
    super('', vscode.TreeItemCollapsibleState.None);
    this.id = `${parent.id}/${key}`;
    this.contextValue = `certificate:${parent.group}:`;
  }

  set(label: string, description: string, tooltip: string, icon: string): void {
    this.label = label;
    this.description = description;
    this.tooltip = new vscode.MarkdownString(tooltip);
    this.iconPath = new vscode.ThemeIcon(icon);
    this.accessibilityInformation = { label: `${label}, ${description.replace(/ · /g, ', ')}`, role: 'treeitem' };
  }
}

export type JobChildItem = FileItem | ErrorItem | HintItem | CertificateGroupItem;
export type TreeNode = JobItem | JobChildItem | CertificateEntryItem | HistoryGroupItem | HistoryEntryItem;
