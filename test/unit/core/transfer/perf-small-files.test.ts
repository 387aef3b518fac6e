// A job of many small files: added as one set (all or none, one store write), transferred over reused
// connections, with events that do not grow with the job (no progress event per file).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { JobState } from '../../../../src/core/model/job';
import { engineForTest, listNames, waitForState } from '../../../support/engine';
import { sha256, startServer, testBytes, type TestServer } from '../../../support/servers';

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server.close());

test('addFiles adds a set of files at once, or none of them when one is refused', async (t) => {
  const { box, engine } = await engineForTest(t);
  const job = await engine.createJob({ displayName: 'set' });
  await assert.rejects(
    engine.addFiles(job.id, [
      { remoteUrl: server.url('/x0'), localPath: path.join(box.dest, 'same.bin') },
      { remoteUrl: server.url('/x1'), localPath: path.join(box.dest, 'same.bin') },
    ]),
    /already has a file at/,
  );
  await assert.rejects(
    engine.addFiles(job.id, [
      { remoteUrl: server.url('/ok'), localPath: path.join(box.dest, 'ok.bin') },
      { remoteUrl: 'ftp://x/y', localPath: path.join(box.dest, 'f.bin') },
    ]),
  );
  assert.equal(engine.getJob(job.id)!.files.length, 0, 'a refused set adds nothing');
  const added = await engine.addFiles(job.id, [
    { remoteUrl: server.url('/x0'), localPath: path.join(box.dest, 'a.bin') },
    { remoteUrl: server.url('/x1'), localPath: path.join(box.dest, 'b.bin') },
  ]);
  assert.deepEqual(
    added.files.map((f) => path.basename(f.localPath)),
    ['a.bin', 'b.bin'],
  );
  assert.notEqual(added.files[0].tempPath, added.files[1].tempPath);
});

test('300 small files in one job arrive whole, with a bounded number of progress events', async (t) => {
  const { box, engine } = await engineForTest(t, { progressIntervalMs: 500 });
  const bodies = Array.from({ length: 300 }, (_, i) => testBytes(10_000 + i, 60 + i));
  bodies.forEach((body, i) => server.route(`/many/${i}`, { body }));
  const job = await engine.createJob({ displayName: 'many', minimumRetryDelay: 0 });
  let progressEvents = 0;
  engine.onDidChangeJob((e) => e.job.id === job.id && e.kind === 'progress' && progressEvents++);
  await engine.addFiles(
    job.id,
    bodies.map((_, i) => ({ remoteUrl: server.url(`/many/${i}`), localPath: path.join(box.dest, `f${i}.bin`) })),
  );
  const started = Date.now();
  await engine.resume(job.id);
  await waitForState(engine, job.id, JobState.TRANSFERRED, 60_000);
  const seconds = (Date.now() - started) / 1000;
  await engine.complete(job.id);
  assert.equal(listNames(box.dest).length, 300);
  for (const i of [0, 149, 299]) assert.equal(sha256(readFileSync(path.join(box.dest, `f${i}.bin`))), sha256(bodies[i]));
  // One event per throttle interval (plus the last), not one per file.
  assert.ok(progressEvents <= seconds / 0.5 + 3, `${progressEvents} progress events in ${seconds.toFixed(1)} s`);
});
