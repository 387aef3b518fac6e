// Auto-complete never leaves a job waiting in TRANSFERRED: asked for while the job already waits there, it completes
// the job then; and a job that transferred just before its process ended (window reload, CLI killed) is completed
// by the next engine that runs the store, rather than waiting forever for a transition that has happened.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { JobState } from '../../../../src/core/model/job';
import type { JobEngine } from '../../../../src/core/jobs/engine';
import { openEngine, sandbox, startJob, waitForState } from '../../../support/engine';
import { startServer, testBytes } from '../../../support/servers';

async function fixture(t: { after: (fn: () => Promise<void>) => void }) {
  const server = await startServer();
  const body = testBytes(2048, 3);
  server.route('/small', { body });
  const box = sandbox();
  const engines: JobEngine[] = [];
  // Engines closed before the sandbox goes, so none is writing in it.
  t.after(async () => {
    for (const engine of engines) await engine.dispose();
    await server.close();
    await box.cleanup();
  });
  const open = async (options: Parameters<typeof openEngine>[1] = {}) => {
    const engine = await openEngine(box, options);
    engines.push(engine);
    return engine;
  };
  return { server, box, body, open };
}

test('setting auto-complete on a job that waits in TRANSFERRED completes it', async (t) => {
  const { server, box, body, open } = await fixture(t);
  const engine = await open();
  const job = await startJob(engine, box, [{ url: server.url('/small'), name: 'late.bin' }]);
  await waitForState(engine, job.id, JobState.TRANSFERRED);
  assert.equal(existsSync(path.join(box.dest, 'late.bin')), false);
  await engine.setProperties(job.id, { autoComplete: true });
  await waitForState(engine, job.id, JobState.ACKNOWLEDGED);
  assert.deepEqual(readFileSync(path.join(box.dest, 'late.bin')), body);
});

test('a stored TRANSFERRED job with auto-complete is completed by the next engine that runs the store', async (t) => {
  const { server, box, body, open } = await fixture(t);
  const first = await open();
  const job = await startJob(first, box, [{ url: server.url('/small'), name: 'reloaded.bin' }]);
  await waitForState(first, job.id, JobState.TRANSFERRED);
  await first.dispose();
  // As the store is when the process ended between TRANSFERRED and its auto-complete.
  const file = path.join(box.store, 'jobs', `${job.id}.json`);
  const stored = JSON.parse(readFileSync(file, 'utf8')) as { job: Record<string, unknown> };
  stored.job.autoComplete = true;
  writeFileSync(file, JSON.stringify(stored));

  const viewer = await open({ resumeStoredJobs: false });
  assert.equal(viewer.getJob(job.id)?.state, JobState.TRANSFERRED, 'an engine that only shows the store changes nothing');
  await viewer.dispose();

  const next = await open();
  await waitForState(next, job.id, JobState.ACKNOWLEDGED);
  assert.deepEqual(readFileSync(path.join(box.dest, 'reloaded.bin')), body);
});
