// Temp files made anew: whatever is at the name (a link someone put there) is removed, never opened or followed.
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import type { FileRecord } from '../../../../src/core/model/job';
import { createTemp, identityOf } from '../../../../src/core/transfer/temp-file';

test('a temp file is made anew: a link at its name is removed, never followed; a missing folder is made', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'md-temp-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = { tempPath: path.join(dir, 'sub', '.f.mddownload'), localPath: path.join(dir, 'sub', 'f') } as FileRecord;

  const first = await createTemp(file);
  assert.equal(file.tempIdentity, identityOf(lstatSync(file.tempPath, { bigint: true })), 'the identity of the file made');
  const { bytesWritten } = await first.writev([Buffer.from('ab'), Buffer.from('cd')], 1);
  assert.equal(bytesWritten, 4);
  await first.truncate(3);
  await first.close();
  assert.deepEqual([...readFileSync(file.tempPath)], [0, 0x61, 0x62], 'written at its position, then cut to 3 bytes');

  // Someone puts a link to their own file at the temp name: the next create removes the link, not the file.
  const victim = path.join(dir, 'victim');
  writeFileSync(victim, 'keep me');
  rmSync(file.tempPath);
  symlinkSync(victim, file.tempPath);
  const second = await createTemp(file);
  await second.writev([Buffer.from('new')], 0);
  await second.close();
  assert.equal(readFileSync(victim, 'utf8'), 'keep me', 'the file the link pointed to is untouched');
  assert.equal(lstatSync(file.tempPath).isSymbolicLink(), false);
  assert.equal(readFileSync(file.tempPath, 'utf8'), 'new');
  assert.ok(existsSync(path.dirname(file.tempPath)));
});
