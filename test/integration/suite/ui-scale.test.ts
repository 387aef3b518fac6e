// A thousand jobs in the view: the root lists them all, and a change of one job redraws that job only.
// Figures (how long the root and a refresh take) are printed, not asserted: timing is for bench/.
import * as assert from 'node:assert/strict';
import type { TreeNode } from '../../../src/ui/tree/items';
import { extensionApi, waitFor } from './ui-support';

describe('UI: a thousand jobs', () => {
  const ids: string[] = [];

  after(async () => {
    const { engine, hooks } = await extensionApi();
    for (const id of ids) {
      await engine.cancel(id).catch(() => undefined);
      await engine.removeJob(id).catch(() => undefined);
    }
    hooks.model.flush();
  });

  it('reports how long activate() took (printed, not asserted)', async () => {
    const { hooks } = await extensionApi();
    assert.equal(typeof hooks.activationMs, 'number');
    console.log(`[ui-scale] activate() took ${hooks.activationMs.toFixed(1)} ms`);
  });

  it('lists 1,000 jobs and refreshes only the one that changed', async function () {
    this.timeout(120_000);
    const { hooks, engine } = await extensionApi();
    const client = hooks.apiClientFor('tests.scale');
    let started = Date.now();
    for (let i = 0; i < 1000; i++) ids.push((await client.createJob({ displayName: `bulk job ${i}` })).id);
    const createMs = Date.now() - started;
    await waitFor('the model to hold 1,000 more jobs', () => ids.every((id) => hooks.model.get(id)));
    hooks.model.flush();

    started = performance.now();
    const roots = hooks.tree.getChildren() as TreeNode[];
    const rootMs = performance.now() - started;
    assert.ok(roots.length >= 1000);

    const fired: unknown[] = [];
    const sub = hooks.tree.onDidChangeTreeData((e) => fired.push(e));
    const before = hooks.tree.stats.rootRefreshes;
    await engine.setPriority(ids[500], 1);
    started = performance.now();
    hooks.model.flush();
    const refreshMs = performance.now() - started;
    sub.dispose();
    assert.equal(hooks.tree.stats.rootRefreshes, before, 'no root refresh');
    assert.equal(fired.length, 1);
    assert.deepEqual(
      (fired[0] as TreeNode[]).map((n) => n.kind === 'job' && n.jobId),
      [ids[500]],
    );
    console.log(
      `[ui-scale] 1,000 jobs created through the API in ${createMs} ms; root of ${roots.length} items built in ${rootMs.toFixed(1)} ms; one job's change delivered in ${refreshMs.toFixed(2)} ms`,
    );
  });
});
