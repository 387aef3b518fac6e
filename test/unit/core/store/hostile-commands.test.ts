// A forwarded command is a file in <store>/commands that anyone who can write the store can write: one nested
// thousands of levels deep is refused before it is parsed, and the holder's engine keeps serving every job.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { CommandInbox, commandsFolder } from '../../../../src/core/store/command-queue';
import { engineForTest } from '../../../support/engine';
import { waitUntil } from '../../../support/wait';

test('a forwarded command nested 5,000 levels deep is refused with E_INVALIDARG; every job stays readable', async (t) => {
  const { box, engine } = await engineForTest(t);
  const kept = await engine.createJob({ displayName: 'kept' });
  const inbox = new CommandInbox(box.store, engine, 20);
  t.after(() => inbox.stop());
  const folder = commandsFolder(box.store);
  mkdirSync(folder, { recursive: true });
  const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
  writeFileSync(path.join(folder, 'x.req.json'), `{"verb":"createJob","args":[{"displayName":"deep","autoComplete":${deep}}],"pid":1}`);
  inbox.start();
  const answerFile = path.join(folder, 'x.res.json');
  await waitUntil('the answer', () => existsSync(answerFile));
  const answer = JSON.parse(readFileSync(answerFile, 'utf8'));
  assert.equal(answer.ok, false);
  assert.equal(answer.code, 0x80070057);
  assert.match(answer.message, /nested deeper than 8 levels was refused/);
  // Had the command run, listing (a deep copy of every job) would throw "Maximum call stack size exceeded".
  assert.deepEqual(
    engine.listJobs().map((j) => j.id),
    [kept.id],
  );
});
