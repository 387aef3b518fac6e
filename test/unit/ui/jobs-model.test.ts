// The UI's batched view of a real engine (no network needed: jobs are made, suspended and cancelled).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { JobEngine } from '../../../src/core/jobs/engine';
import { JobState } from '../../../src/core/model/job';
import { JobsModel, type JobsChange } from '../../../src/ui/jobsModel';

let dir: string;
let engine: JobEngine;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'md-jobs-model-'));
  engine = await JobEngine.open({ storeDir: path.join(dir, 'jobs') });
});
after(async () => {
  await engine.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

function nextChange(model: JobsModel): Promise<JobsChange> {
  return new Promise((resolve) => {
    const sub = model.onDidChange((c) => {
      sub.dispose();
      resolve(c);
    });
  });
}

test('batches a burst of engine events into one change, and lists the newest job first', async () => {
  const existing = await engine.createJob({ displayName: 'before attach' });
  // A window long enough that the burst below fits in it on a loaded machine (each step writes the store).
  const model = new JobsModel(1000);
  model.attach(engine);
  assert.deepEqual(
    model.list().map((j) => j.id),
    [existing.id],
  );
  await nextChange(model); // the attach itself
  const changed = nextChange(model);
  const a = await engine.createJob({ displayName: 'a' });
  const b = await engine.createJob({ displayName: 'b' });
  await engine.addFile(a.id, { remoteUrl: 'http://127.0.0.1:9/a', localPath: path.join(dir, 'a.bin') });
  const change = await changed;
  assert.equal(change.structural, true, 'new jobs redraw the root');
  assert.deepEqual(new Set(change.changed), new Set([a.id, b.id]));
  assert.ok(change.events.length >= 3, 'every engine event of the batch is kept, in order');
  assert.deepEqual(
    model.list().map((j) => j.displayName),
    ['b', 'a', 'before attach'],
  );
  assert.equal(model.get(a.id)?.files.length, 1);
  assert.equal(model.progress(a.id).filesTotal, 1);
  model.dispose();
});

test('a change to a known job is not structural; finished jobs stay until cleared; removed ones go', async () => {
  const model = new JobsModel(20);
  const job = await engine.createJob({ displayName: 'to cancel' });
  model.attach(engine);
  await nextChange(model);
  const changed = nextChange(model);
  await engine.cancel(job.id);
  const change = await changed;
  assert.equal(change.structural, false);
  assert.deepEqual(change.changed, [job.id]);
  assert.ok(change.events.some((e) => e.kind === 'state' && e.job.state === JobState.CANCELLED));
  assert.equal(model.get(job.id)?.state, JobState.CANCELLED, 'a cancelled job stays in view');
  assert.deepEqual(model.clearFinished(), [job.id]);
  assert.equal(model.get(job.id), undefined);

  const other = await engine.createJob({ displayName: 'to remove' });
  await engine.cancel(other.id);
  model.flush();
  assert.ok(model.get(other.id));
  await engine.removeJob(other.id);
  model.flush();
  assert.equal(model.get(other.id), undefined, 'a job the engine removed leaves the view');
  model.dispose();
});
