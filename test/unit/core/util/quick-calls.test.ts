// The rule that keeps quick file calls synchronous: three slow calls in a row send them to the thread pool for a
// while; one or two slow ones (a preemption on a loaded machine) do not.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { QuickCalls } from '../../../../src/core/util/quick-calls';

test('three slow calls in a row send the calls to the thread pool for a while; one or two do not', () => {
  const clock = { now: 0 };
  const calls = new QuickCalls(() => clock.now);
  let callMs = 5;
  const call = () =>
    calls.timed(() => {
      clock.now += callMs;
    });
  call();
  call();
  callMs = 0.1;
  call();
  assert.equal(calls.quick, true, 'two slow calls, then a quick one: still synchronous');
  callMs = 5;
  for (let i = 0; i < 3; i++) call();
  assert.equal(calls.quick, false, 'three slow calls in a row: the file system is slow');
  clock.now += 9_999;
  assert.equal(calls.quick, false);
  clock.now += 1;
  assert.equal(calls.quick, true, 'tried synchronously again after ten seconds');
  assert.throws(() => calls.timed(() => JSON.parse('{')), SyntaxError, "a call's error reaches the caller");
});
