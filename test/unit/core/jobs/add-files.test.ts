// addFiles, BITS AddFileSet: every entry checked before any is added (all or none), a refused entry named by its
// index, an empty set refused, and the job stored once for the whole set.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { BitsError, Codes } from '../../../../src/core/errors';
import type { JobChangeKind, NewFileOptions } from '../../../../src/core/model/job';
import { JobStore } from '../../../../src/core/store/job-store';
import { engineForTest } from '../../../support/engine';

const url = (name: string) => `http://127.0.0.1:9/${name}`;

function refusedAt(index: number, code: number, pattern: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof BitsError, `expected a BitsError, got ${String(err)}`);
    assert.equal(err.code, code >>> 0, `expected ${code.toString(16)}, got ${err.code.toString(16)}: ${err.message}`);
    assert.match(err.message, new RegExp(`^files\\[${index}\\] was refused, so none of the \\d+ files was added: `));
    assert.match(err.message, pattern);
    return true;
  };
}

test('addFiles adds nothing when one entry is refused, and names that entry by its index', async (t) => {
  const { box, engine } = await engineForTest(t);
  const job = await engine.createJob({ displayName: 'set' });
  const other = await engine.createJob({ displayName: 'other' });
  await engine.addFile(other.id, { remoteUrl: url('o'), localPath: path.join(box.dest, 'other.bin') });
  mkdirSync(path.join(box.dest, 'folder'), { recursive: true });
  const kinds: JobChangeKind[] = [];
  engine.onDidChangeJob((e) => e.job.id === job.id && kinds.push(e.kind));
  const good = (i: number): NewFileOptions => ({ remoteUrl: url(`g${i}`), localPath: path.join(box.dest, `g${i}.bin`) });

  await assert.rejects(
    engine.addFiles(job.id, [good(0), good(1), { remoteUrl: 'ftp://x/y', localPath: path.join(box.dest, 'f.bin') }]),
    refusedAt(2, Codes.BG_E_PROTOCOL_NOT_AVAILABLE, /only http and https/),
  );
  await assert.rejects(engine.addFiles(job.id, [good(0), good(0)]), refusedAt(1, Codes.E_INVALIDARG, /already has a file at/));
  await assert.rejects(
    engine.addFiles(job.id, [good(0), { remoteUrl: url('x'), localPath: path.join(box.dest, 'other.bin') }]),
    refusedAt(1, Codes.E_SHARING_VIOLATION, /already downloads to/),
  );
  // Found while looking at the destinations (after the entries' own checks passed).
  await assert.rejects(
    engine.addFiles(job.id, [good(0), good(1), good(2), { remoteUrl: url('d'), localPath: path.join(box.dest, 'folder') }]),
    refusedAt(3, Codes.E_INVALIDARG, /is an existing folder/),
  );
  await assert.rejects(
    engine.addFiles(job.id, [good(0), undefined as unknown as NewFileOptions]),
    refusedAt(1, Codes.E_INVALIDARG, /needs a remoteUrl and a localPath/),
  );
  assert.equal(engine.getJob(job.id)!.files.length, 0, 'a refused set adds nothing');
  assert.deepEqual(kinds, [], 'a refused set changes nothing, so nothing is announced');

  // addFile is a set of one whose message stays as it was, without an index.
  await assert.rejects(engine.addFile(job.id, { remoteUrl: 'ftp://x/y', localPath: path.join(box.dest, 'f.bin') }), (err: Error) => {
    assert.match(err.message, /^Cannot download ftp: URLs/);
    return true;
  });
});

test('addFiles refuses an empty set (or no array) with E_INVALIDARG', async (t) => {
  const { engine } = await engineForTest(t);
  const job = await engine.createJob({ displayName: 'empty' });
  for (const files of [[], undefined, 'a.bin']) {
    await assert.rejects(engine.addFiles(job.id, files as NewFileOptions[]), (err: unknown) => {
      assert.ok(err instanceof BitsError);
      assert.equal(err.code, Codes.E_INVALIDARG);
      assert.match(err.message, /addFiles needs a non-empty array of files .*nothing was added/);
      return true;
    });
  }
  assert.equal(engine.getJob(job.id)!.files.length, 0);
});

test('addFiles stores the job once and announces it once for the whole set', async (t) => {
  const { box, engine } = await engineForTest(t);
  const job = await engine.createJob({ displayName: 'one write' });
  // Every write of a job goes through JobStore's save (coalesced) or saveNow: both counted for this job.
  const writes: string[] = [];
  const { save, saveNow } = JobStore.prototype;
  JobStore.prototype.save = function (id, snapshot) {
    if (id === job.id) writes.push('save');
    return save.call(this, id, snapshot);
  };
  JobStore.prototype.saveNow = function (id, snapshot) {
    if (id === job.id) writes.push('saveNow');
    return saveNow.call(this, id, snapshot);
  };
  t.after(() => Object.assign(JobStore.prototype, { save, saveNow }));
  const kinds: JobChangeKind[] = [];
  engine.onDidChangeJob((e) => e.job.id === job.id && kinds.push(e.kind));

  const files = Array.from({ length: 200 }, (_, i) => ({ remoteUrl: url(`f${i}`), localPath: path.join(box.dest, `f${i}.bin`) }));
  const added = await engine.addFiles(job.id, files);

  assert.equal(added.files.length, 200);
  assert.deepEqual(writes, ['saveNow'], 'one store write for 200 files');
  assert.deepEqual(kinds, ['modified'], 'one event for 200 files');
  const stored = (await JobStore.open(box.store)).jobs.find((j) => j.id === job.id);
  assert.equal(stored?.files.length, 200, 'the one write holds every file');
});
