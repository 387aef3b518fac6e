// The Jobs view with many jobs, timed inside the extension host: what the extension's provider costs for a
// full refresh (the root's children plus a tree item for each, as VS Code asks for them) and for one job's
// change (the model's batch delivered, the provider firing that one item), and, with the view open in the
// workbench, how long until VS Code itself has fetched what a refresh makes it fetch.
import * as vscode from 'vscode';
import type { ManagedDownloadsClient } from '../../src/api';
import type { DownloadEngine } from '../../src/core/model/job';
import type { TreeNode } from '../../src/ui/tree/items';
import type { InternalTestingHooks } from '../../src/ui/testing';

const WARM_REFRESHES = 10;
const INCREMENTAL_REFRESHES = 10;
const ROUND_TRIPS = 5;
const ROUND_TRIP_LIMIT_MS = 10_000;

const elapsed = (started: number) => performance.now() - started;

/** getChildren(root) and getTreeItem of each root: what VS Code calls on a root refresh. */
function fullRefresh(hooks: InternalTestingHooks): { ms: number; items: number } {
  const started = performance.now();
  const roots = hooks.tree.getChildren() as TreeNode[];
  for (const node of roots) hooks.tree.getTreeItem(node);
  return { ms: elapsed(started), items: roots.length };
}

export interface TreeFigures {
  items: number;
  /** The first full refresh: every job's tree item made. */
  coldMs: number;
  /** Later full refreshes: the items exist and are reused. */
  warmMs: number[];
  /** One job changed: the model's batch delivered (provider, badge, status bar listeners) and its item read. */
  incrementalMs: number[];
  /** Root refreshes fired during the incremental ones (0 when only the changed job is redrawn). */
  rootRefreshesDuringIncremental: number;
}

export async function measureTree(hooks: InternalTestingHooks, engine: DownloadEngine, jobId: string): Promise<TreeFigures> {
  hooks.model.flush();
  const cold = fullRefresh(hooks);
  const warmMs: number[] = [];
  for (let i = 0; i < WARM_REFRESHES; i++) warmMs.push(fullRefresh(hooks).ms);

  const incrementalMs: number[] = [];
  const rootRefreshes = hooks.tree.stats.rootRefreshes;
  const item = hooks.tree.itemFor(jobId);
  if (!item) throw new Error(`job ${jobId} is not in the view`);
  for (let i = 0; i < INCREMENTAL_REFRESHES; i++) {
    await engine.setPriority(jobId, i % 2 ? 2 : 1);
    const started = performance.now();
    hooks.model.flush();
    hooks.tree.getTreeItem(item);
    incrementalMs.push(elapsed(started));
  }
  return {
    items: cold.items,
    coldMs: cold.ms,
    warmMs,
    incrementalMs,
    rootRefreshesDuringIncremental: hooks.tree.stats.rootRefreshes - rootRefreshes,
  };
}

/** Records when VS Code calls the provider, by wrapping the instance's methods (the class is untouched). */
class ProviderCalls {
  rootFetches: { at: number; count: number }[] = [];
  itemReads: { at: number; node: TreeNode }[] = [];
  private readonly restore: () => void;

  constructor(hooks: InternalTestingHooks) {
    const tree = hooks.tree;
    const getChildren = tree.getChildren.bind(tree);
    const getTreeItem = tree.getTreeItem.bind(tree);
    tree.getChildren = (element?: TreeNode) => {
      const children = getChildren(element);
      if (!element) this.rootFetches.push({ at: performance.now(), count: children.length });
      return children;
    };
    tree.getTreeItem = (element: TreeNode) => {
      this.itemReads.push({ at: performance.now(), node: element });
      return getTreeItem(element);
    };
    this.restore = () => {
      delete (tree as unknown as Record<string, unknown>).getChildren;
      delete (tree as unknown as Record<string, unknown>).getTreeItem;
    };
  }

  async until<T>(condition: () => T | undefined): Promise<T | undefined> {
    const deadline = Date.now() + ROUND_TRIP_LIMIT_MS;
    for (;;) {
      const value = condition();
      if (value !== undefined || Date.now() > deadline) return value;
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  dispose(): void {
    this.restore();
  }
}

export interface ViewFigures {
  /** A job added: from the model's batch delivered until VS Code has read every root's tree item. */
  rootRoundTripMs: number[];
  /** One job changed: from the batch delivered until VS Code has read that job's tree item again. */
  itemRoundTripMs: number[];
  /** Why a figure is missing (the view never asked). */
  problem?: string;
}

/**
 * With the Jobs view open in the workbench, VS Code (not the test) calls the provider: this times the host
 * side of a real refresh (VS Code's own debounce and its messages to the workbench included, the drawing not).
 */
export async function measureView(
  hooks: InternalTestingHooks,
  engine: DownloadEngine,
  client: ManagedDownloadsClient,
  jobId: string,
): Promise<ViewFigures> {
  const calls = new ProviderCalls(hooks);
  const figures: ViewFigures = { rootRoundTripMs: [], itemRoundTripMs: [] };
  const added: string[] = [];
  try {
    await vscode.commands.executeCommand('managedDownloads.jobs.focus');
    const shown = await calls.until(() => calls.rootFetches.at(-1));
    if (!shown) return { ...figures, problem: 'the Jobs view did not ask for its root after it was focused' };
    await new Promise((r) => setTimeout(r, 1000)); // let the first drawing finish

    for (let i = 0; i < ROUND_TRIPS; i++) {
      added.push((await client.createJob({ displayName: `bench view job ${i}` })).id);
      const fetchesBefore = calls.rootFetches.length;
      const readsBefore = calls.itemReads.length;
      const started = performance.now();
      hooks.model.flush();
      const fetched = await calls.until(() => calls.rootFetches[fetchesBefore]);
      if (!fetched) return { ...figures, problem: 'VS Code did not fetch the root after a job was added' };
      const done = await calls.until(() => (calls.itemReads.length - readsBefore >= fetched.count ? calls.itemReads.at(-1) : undefined));
      if (!done)
        return {
          ...figures,
          problem: `VS Code read ${calls.itemReads.length - readsBefore} of ${fetched.count} tree items after a root refresh`,
        };
      figures.rootRoundTripMs.push(done.at - started);
      await new Promise((r) => setTimeout(r, 500));
    }

    const item = hooks.tree.itemFor(jobId);
    for (let i = 0; i < ROUND_TRIPS; i++) {
      await engine.setPriority(jobId, i % 2 ? 2 : 1);
      const readsBefore = calls.itemReads.length;
      const started = performance.now();
      hooks.model.flush();
      const read = await calls.until(() => calls.itemReads.slice(readsBefore).find((r) => r.node === item));
      if (!read) return { ...figures, problem: "VS Code did not read the changed job's tree item again" };
      figures.itemRoundTripMs.push(read.at - started);
      await new Promise((r) => setTimeout(r, 500));
    }
    return figures;
  } finally {
    calls.dispose();
    for (const id of added) await engine.cancel(id).catch(() => undefined);
  }
}
