import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { test } from 'node:test';
import { eachLimited } from '../../../../src/core/util/each-limited';

test('runs every item, never more than the limit at once', async () => {
  let running = 0;
  let most = 0;
  const seen: number[] = [];
  await eachLimited([...Array(50).keys()], 4, async (item) => {
    running++;
    most = Math.max(most, running);
    await tick();
    seen.push(item);
    running--;
  });
  assert.equal(most, 4);
  assert.deepEqual(
    [...seen].sort((a, b) => a - b),
    [...Array(50).keys()],
  );
});

test('a failure does not stop the other items; the error of the lowest failing index is thrown after all settled', async () => {
  const done: number[] = [];
  await assert.rejects(
    eachLimited([0, 1, 2, 3, 4, 5], 3, async (item) => {
      // Index 4 fails first, index 1 later: the reported one is still index 1's.
      await tick();
      if (item === 4) throw new Error('four');
      if (item === 1) {
        await tick();
        await tick();
        throw new Error('one');
      }
      done.push(item);
    }),
    /one/,
  );
  assert.deepEqual(done.sort(), [0, 2, 3, 5]);
});

test('no items: resolves at once', async () => {
  await eachLimited([], 8, () => Promise.reject(new Error('never called')));
});
