// The Jobs view's data: one JobItem per job, kept by id so a change redraws only that job (and its children).
// The JobsModel batches engine events; this provider turns each batch into one onDidChangeTreeData call
// with the changed items only, or a root refresh when jobs came or went.
import * as vscode from 'vscode';
import { formatCode } from '../../core/errors';
import { Disposable, MutableDisposable } from '../../core/lifecycle';
import type { CertificateService } from '../../core/tls/service';
import type { DownloadHistory } from '../history';
import { escapeMarkdown } from '../jobMarkdown';
import type { JobsChange, JobsModel } from '../jobsModel';
import { endpointSummaries } from '../certificates/rejectionsMarkdown';
import {
  CertificateEntryItem,
  CertificateGroupItem,
  ErrorItem,
  FileItem,
  HintItem,
  JobItem,
  type JobChildItem,
  type TreeNode,
} from './items';
import { HistoryEntryItem, HistoryGroupItem } from './historyItems';

export class JobTreeProvider extends Disposable implements vscode.TreeDataProvider<TreeNode> {
  private readonly items = new Map<string, JobItem>();
  private readonly changeEmitter = this._register(new vscode.EventEmitter<TreeNode | TreeNode[] | undefined>());
  private readonly historySubscription = this._register(new MutableDisposable());
  private historySource: DownloadHistory | undefined;
  private historyGroup: HistoryGroupItem | undefined;
  /** What History showed when last drawn (its entries, as JSON). */
  private shownHistory = '';
  /** Counts of what was fired, for tests and the benchmark: incremental refresh is observable. */
  readonly stats = { rootRefreshes: 0, itemRefreshes: 0 };

  readonly onDidChangeTreeData = this.changeEmitter.event;
  /** Where a job's accepted certificates and rejections come from, once certificate validation is wired. */
  certificates: CertificateService | undefined;

  constructor(private readonly model: JobsModel) {
    super();
    this._register(model.onDidChange((change) => this.onModelChange(change)));
  }

  getTreeItem(element: TreeNode): vscode.TreeItem {
    return element;
  }

  /** Finished jobs kept after they leave the list: shown under a "History" node at the end of the view. */
  set history(history: DownloadHistory | undefined) {
    this.historySource = history;
    this.shownHistory = this.pastSignature();
    this.historySubscription.value = history?.onDidChange(() => {
      // A job is recorded when it finishes but shows under History only once it leaves the list: redraw only
      // when what History shows changed, so a finishing job costs no root refresh.
      const entries = this.pastEntries();
      const shown = JSON.stringify(entries);
      if (shown === this.shownHistory) return;
      const wasShown = this.shownHistory !== '' && this.shownHistory !== '[]';
      this.shownHistory = shown;
      // History was there and stays (e.g. a full History dropped its oldest entry): only its node is redrawn.
      if (wasShown && entries.length && this.historyGroup) {
        this.historyGroup.update(entries.length);
        this.stats.itemRefreshes++;
        this.changeEmitter.fire([this.historyGroup]);
        return;
      }
      this.stats.rootRefreshes++;
      this.changeEmitter.fire(undefined);
    });
  }

  getChildren(element?: TreeNode): TreeNode[] {
    if (!element) return this.roots();
    if (element instanceof JobItem) return this.childrenOf(element);
    if (element instanceof CertificateGroupItem) return this.certificateEntries(element);
    if (element instanceof HistoryGroupItem) return this.historyEntries(element);
    return [];
  }

  getParent(element: TreeNode): TreeNode | undefined {
    return element instanceof JobItem || element instanceof HistoryGroupItem ? undefined : element.parent;
  }

  resolveTreeItem(item: vscode.TreeItem, element: TreeNode): vscode.TreeItem {
    if (element instanceof JobItem || element instanceof FileItem) item.tooltip = element.resolveTooltip();
    return item;
  }

  /** The item of a job, or undefined when the job is not in the view. */
  itemFor(jobId: string): JobItem | undefined {
    const job = this.model.get(jobId);
    if (!job) return undefined;
    return this.items.get(jobId) ?? this.createItem(jobId);
  }

  private roots(): TreeNode[] {
    const jobs: TreeNode[] = this.model.list().map((job) => this.items.get(job.id) ?? this.createItem(job.id));
    const entries = this.pastEntries();
    this.shownHistory = JSON.stringify(entries);
    const past = entries.length;
    if (!past) return jobs;
    if (this.historyGroup) this.historyGroup.update(past);
    else this.historyGroup = new HistoryGroupItem(past);
    return [...jobs, this.historyGroup];
  }

  private pastSignature(): string {
    return JSON.stringify(this.pastEntries());
  }

  /** History entries of jobs no longer in the list (a finished job still listed shows there, not twice). */
  private pastEntries() {
    return this.historySource?.list().filter((e) => !this.model.get(e.jobId)) ?? [];
  }

  private historyEntries(group: HistoryGroupItem): HistoryEntryItem[] {
    const entries = this.pastEntries();
    const wanted = new Set(entries.map((e) => e.jobId));
    for (const key of [...group.children.keys()]) if (!wanted.has(key)) group.children.delete(key);
    return entries.map((entry) => {
      let item = group.children.get(entry.jobId);
      if (item) item.update(entry);
      else group.children.set(entry.jobId, (item = new HistoryEntryItem(group, entry)));
      return item;
    });
  }

  private createItem(jobId: string): JobItem {
    const job = this.model.get(jobId)!;
    const item = new JobItem(job, this.model.progress(jobId));
    this.items.set(jobId, item);
    return item;
  }

  private childrenOf(item: JobItem): JobChildItem[] {
    const job = item.job;
    const keys: string[] = [];
    if (job.error) keys.push('error');
    job.files.forEach((_, i) => keys.push(`file/${i}`));
    if (job.files.length === 0) keys.push('hint/empty');
    const cached = this.certificates?.cachedCertificates(job.id).length ?? 0;
    const rejected = this.certificates?.rejections.entries({ jobId: job.id }).length ?? 0;
    if (cached) keys.push('certificates/cache');
    if (rejected) keys.push('certificates/rejections');
    // Drop children that no longer apply (an error that was cleared).
    const wanted = new Set(keys);
    for (const key of [...item.children.keys()]) if (!wanted.has(key)) item.children.delete(key);
    return keys.map((key) => {
      let child = item.children.get(key);
      if (child instanceof CertificateGroupItem) child.update(key.endsWith('cache') ? cached : rejected);
      else if (child) child.refresh();
      else {
        child = this.createChild(item, key);
        item.children.set(key, child);
      }
      return child;
    });
  }

  private createChild(item: JobItem, key: string): JobChildItem {
    if (key === 'error') return new ErrorItem(item);
    if (key === 'hint/empty') return new HintItem(item, 'empty', vscode.l10n.t('No files yet: use "Add File to Job"'));
    if (key === 'certificates/cache')
      return new CertificateGroupItem(item, 'cache', this.certificates?.cachedCertificates(item.jobId).length ?? 0);
    if (key === 'certificates/rejections') {
      return new CertificateGroupItem(item, 'rejections', this.certificates?.rejections.entries({ jobId: item.jobId }).length ?? 0);
    }
    return new FileItem(item, Number(key.slice('file/'.length)));
  }

  private certificateEntries(group: CertificateGroupItem): CertificateEntryItem[] {
    const jobId = group.parent.jobId;
    const entry = (key: string) => {
      let item = group.children.get(key);
      if (!item) group.children.set(key, (item = new CertificateEntryItem(group, key)));
      return item;
    };
    if (!this.certificates) return [];
    if (group.group === 'cache') {
      return this.certificates.cachedCertificates(jobId).map((c) => {
        const item = entry(`${c.endpoint}/${c.sha256}`);
        item.set(
          c.endpoint,
          `${c.subject} · ${c.sha256.slice(0, 16)}...`,
          `**${escapeMarkdown(c.endpoint)}**  \n${escapeMarkdown(c.subject)}  \nsha256 \`${c.sha256}\`  \n${vscode.l10n.t('accepted {0}', c.acceptedAt)}`,
          'pass',
        );
        return item;
      });
    }
    return endpointSummaries(this.certificates.rejections.entries({ jobId })).map((e) => {
      const item = entry(e.endpoint);
      const times = e.count === 1 ? vscode.l10n.t('once') : vscode.l10n.t('{0} times', e.count);
      item.set(
        e.endpoint,
        e.certificates.length === 1
          ? vscode.l10n.t('{0} · 1 certificate · last {1}', times, formatCode(e.lastCode))
          : vscode.l10n.t('{0} · {1} certificates · last {2}', times, e.certificates.length, formatCode(e.lastCode)),
        vscode.l10n.t(
          '**{0}** rejected {1} ({2} to {3})  \nLast: `{4}` {5}',
          escapeMarkdown(e.endpoint),
          times,
          e.firstTime,
          e.lastTime,
          formatCode(e.lastCode),
          escapeMarkdown(e.lastReason),
        ),
        'circle-slash',
      );
      return item;
    });
  }

  /** Redraws these jobs (their certificate children changed outside the engine's events). */
  refreshJobs(jobIds: readonly string[]): void {
    const items = jobIds.map((id) => this.items.get(id)).filter((i): i is JobItem => i !== undefined);
    if (items.length) {
      this.stats.itemRefreshes += items.length;
      this.changeEmitter.fire(items);
    }
  }

  private onModelChange(change: JobsChange): void {
    for (const id of change.changed) {
      const job = this.model.get(id);
      const item = this.items.get(id);
      if (job && item) item.update(job, this.model.progress(id));
    }
    for (const id of [...this.items.keys()]) if (!this.model.get(id)) this.items.delete(id);
    if (change.structural) {
      // The root redraw shows History as it is now (a job that left the list moved there); noted here rather
      // than in getChildren, which VS Code calls only while the view is visible.
      this.shownHistory = this.pastSignature();
      this.stats.rootRefreshes++;
      this.changeEmitter.fire(undefined);
      return;
    }
    const changed = change.changed.map((id) => this.items.get(id)).filter((i): i is JobItem => i !== undefined);
    if (changed.length) {
      this.stats.itemRefreshes += changed.length;
      this.changeEmitter.fire(changed);
    }
  }
}
