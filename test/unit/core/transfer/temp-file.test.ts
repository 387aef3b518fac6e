// Temp files made anew: whatever is at the name is removed, never opened, both when the file is opened
// synchronously (a quick local disk) and through the thread pool (after slow calls); and the rule that chooses.
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import type { FileRecord } from '../../../../src/core/model/job';
import { createTemp, identityOf } from '../../../../src/core/transfer/temp-file';
import { QuickCalls } from '../../../../src/core/util/quick-calls';

function fileIn(dir: string): FileRecord {
  return { tempPath: path.join(dir, 'sub', '.f.mddownload'), localPath: path.join(dir, 'sub', 'f') } as FileRecord;
}

/** A QuickCalls on a fake clock whose calls take `callMs` each. */
function clocked(callMs: () => number) {
  const clock = { now: 0 };
  const calls = new QuickCalls(() => clock.now);
  const slow = <T>(call: () => T) =>
    calls.timed(() => {
      clock.now += callMs();
      return call();
    });
  return { clock, calls, slow };
}

test('three slow calls in a row send temp files to the thread pool for a while; one or two do not', () => {
  let callMs = 5;
  const { clock, calls, slow } = clocked(() => callMs);
  slow(() => undefined);
  slow(() => undefined);
  callMs = 0.1;
  slow(() => undefined);
  assert.equal(calls.quick, true, 'two slow calls, then a quick one: still synchronous');
  callMs = 5;
  for (let i = 0; i < 3; i++) slow(() => undefined);
  assert.equal(calls.quick, false, 'three slow calls in a row: the file system is slow');
  clock.now += 9_999;
  assert.equal(calls.quick, false);
  clock.now += 1;
  assert.equal(calls.quick, true, 'tried synchronously again after ten seconds');
  assert.throws(() => calls.timed(() => JSON.parse('{')), SyntaxError, "a call's error reaches the caller");
});

for (const mode of ['synchronously', 'through the thread pool'] as const) {
  test(`a temp file opened ${mode} is made anew: a link at its name is removed, never followed`, async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'md-temp-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const { calls, slow } = clocked(() => 5);
    if (mode === 'through the thread pool') for (let i = 0; i < 3; i++) slow(() => undefined);
    assert.equal(calls.quick, mode === 'synchronously');

    const file = fileIn(dir);
    const first = await createTemp(file, calls);
    assert.equal(first.constructor.name === 'FileHandle', mode === 'through the thread pool', 'the kind of handle follows the mode');
    assert.equal(file.tempIdentity, identityOf(lstatSync(file.tempPath, { bigint: true })), 'the identity of the file made');
    const { bytesWritten } = await first.writev([Buffer.from('ab'), Buffer.from('cd')], 1);
    assert.equal(bytesWritten, 4);
    await first.truncate(3);
    await first.close();
    await first.close().catch(() => undefined);
    assert.deepEqual([...readFileSync(file.tempPath)], [0, 0x61, 0x62], 'written at its position, then cut to 3 bytes');

    // Someone puts a link to their own file at the temp name: the next create removes the link, not the file.
    const victim = path.join(dir, 'victim');
    writeFileSync(victim, 'keep me');
    rmSync(file.tempPath);
    symlinkSync(victim, file.tempPath);
    const second = await createTemp(file, calls);
    await second.writev([Buffer.from('new')], 0);
    await second.close();
    assert.equal(readFileSync(victim, 'utf8'), 'keep me', 'the file the link pointed to is untouched');
    assert.equal(lstatSync(file.tempPath).isSymbolicLink(), false);
    assert.equal(readFileSync(file.tempPath, 'utf8'), 'new');
    assert.ok(existsSync(path.dirname(file.tempPath)), 'the missing folder was made on the first create');
  });
}
