// The Jobs view's "History" node: finished jobs that have left the list (cleared, or finished before the
// window reloaded), each with what Download Again and Copy URL need.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { HistoryEntry } from '../history';
import { escapeMarkdown } from '../jobMarkdown';
import { formatBytes } from '../format';

export class HistoryGroupItem extends vscode.TreeItem {
  readonly kind = 'history';
  readonly children = new Map<string, HistoryEntryItem>();

  constructor(count: number) {
    super(vscode.l10n.t('History'), vscode.TreeItemCollapsibleState.Collapsed);
    this.id = 'history';
    this.contextValue = 'history:';
    this.iconPath = new vscode.ThemeIcon('history');
    this.update(count);
  }

  update(count: number): void {
    this.description = String(count);
    this.tooltip = vscode.l10n.t(
      'Finished downloads no longer in the list ({0}). Right-click one to download it again or copy its URL.',
      count,
    );
    this.accessibilityInformation = { label: vscode.l10n.t('History, {0} finished downloads', count) };
  }
}

export function describeHistoryEntry(entry: HistoryEntry): string {
  const files = entry.files.length + entry.omittedFiles;
  const bytes = entry.files.reduce((sum, f) => sum + (f.bytes ?? 0), 0);
  const when = new Date(entry.finishedAt).toLocaleString();
  const outcome = entry.outcome === 'completed' ? vscode.l10n.t('Completed') : vscode.l10n.t('Cancelled');
  const count = files === 1 ? vscode.l10n.t('1 file') : vscode.l10n.t('{0} files', files);
  return [outcome, count, ...(bytes ? [formatBytes(bytes)] : []), when].join(' · ');
}

export class HistoryEntryItem extends vscode.TreeItem {
  readonly kind = 'historyEntry';

  constructor(
    readonly parent: HistoryGroupItem,
    public entry: HistoryEntry,
  ) {
    super(entry.displayName, vscode.TreeItemCollapsibleState.None);
    this.id = `history/${entry.jobId}`;
    this.update(entry);
  }

  get jobId(): string {
    return this.entry.jobId;
  }

  update(entry: HistoryEntry): void {
    this.entry = entry;
    this.label = entry.displayName;
    this.description = describeHistoryEntry(entry);
    this.contextValue = `historyEntry:${entry.outcome}:`;
    this.iconPath = new vscode.ThemeIcon(
      entry.outcome === 'completed' ? 'pass' : 'circle-slash',
      new vscode.ThemeColor(entry.outcome === 'completed' ? 'testing.iconPassed' : 'disabledForeground'),
    );
    this.accessibilityInformation = { label: `${entry.displayName}, ${this.description}` };
    const lines = entry.files.slice(0, 20).map((f) => `${escapeMarkdown(path.basename(f.localPath))}: ${escapeMarkdown(f.remoteUrl)}`);
    const more = entry.files.length + entry.omittedFiles - lines.length;
    this.tooltip = new vscode.MarkdownString(
      [`**${escapeMarkdown(entry.displayName)}**`, ...lines, ...(more > 0 ? [vscode.l10n.t('and {0} more', more)] : [])].join('  \n'),
    );
  }
}
