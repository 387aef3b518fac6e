// The Jobs view's data: one JobItem per job, kept by id so a change redraws only that job (and its children).
// The JobsModel batches engine events; this provider turns each batch into one onDidChangeTreeData call
// with the changed items only, or a root refresh when jobs came or went.
import * as vscode from 'vscode';
import type { JobsChange, JobsModel } from '../jobsModel';
import { ErrorItem, FileItem, HintItem, JobItem, type JobChildItem, type TreeNode } from './items';

export class JobTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly items = new Map<string, JobItem>();
  private readonly changeEmitter = new vscode.EventEmitter<TreeNode | TreeNode[] | undefined>();
  private readonly subscription: { dispose(): void };
  /** Counts of what was fired, for tests and the benchmark: incremental refresh is observable. */
  readonly stats = { rootRefreshes: 0, itemRefreshes: 0 };

  readonly onDidChangeTreeData = this.changeEmitter.event;

  constructor(private readonly model: JobsModel) {
    this.subscription = model.onDidChange((change) => this.onModelChange(change));
  }

  getTreeItem(element: TreeNode): vscode.TreeItem {
    return element;
  }

  getChildren(element?: TreeNode): TreeNode[] {
    if (!element) return this.roots();
    if (element instanceof JobItem) return this.childrenOf(element);
    return [];
  }

  getParent(element: TreeNode): TreeNode | undefined {
    return element instanceof JobItem ? undefined : element.parent;
  }

  resolveTreeItem(item: vscode.TreeItem, element: TreeNode): vscode.TreeItem {
    if (element instanceof JobItem) item.tooltip = element.resolveTooltip();
    return item;
  }

  /** The item of a job, or undefined when the job is not in the view. */
  itemFor(jobId: string): JobItem | undefined {
    const job = this.model.get(jobId);
    if (!job) return undefined;
    return this.items.get(jobId) ?? this.createItem(jobId);
  }

  private roots(): JobItem[] {
    return this.model.list().map((job) => this.items.get(job.id) ?? this.createItem(job.id));
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
    // Drop children that no longer apply (an error that was cleared).
    for (const key of [...item.children.keys()]) if (!keys.includes(key)) item.children.delete(key);
    return keys.map((key) => {
      let child = item.children.get(key);
      if (child) child.refresh();
      else {
        child = this.createChild(item, key);
        item.children.set(key, child);
      }
      return child;
    });
  }

  private createChild(item: JobItem, key: string): JobChildItem {
    if (key === 'error') return new ErrorItem(item);
    if (key === 'hint/empty') return new HintItem(item, 'empty', 'No files yet: use "Add File to Job"');
    return new FileItem(item, Number(key.slice('file/'.length)));
  }

  private onModelChange(change: JobsChange): void {
    for (const id of change.changed) {
      const job = this.model.get(id);
      const item = this.items.get(id);
      if (job && item) item.update(job, this.model.progress(id));
    }
    for (const id of [...this.items.keys()]) if (!this.model.get(id)) this.items.delete(id);
    if (change.structural) {
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

  dispose(): void {
    this.subscription.dispose();
    this.changeEmitter.dispose();
  }
}
