// A lease file is input from disk: one forged to claim the store forever (a living process on this host, a
// time-to-live of centuries, a heartbeat in the future, a label of control characters) is treated as expired,
// so it can neither block the store nor put its text into the messages that name the holder.
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { test } from 'node:test';
import { StoreLease } from '../../../../src/core/store/lease';
import { sandboxFor } from '../../../support/engine';
import { writeLeaseFile } from '../../../support/store';

test('a forged lease that would hold the store forever is treated as expired and taken', async (t) => {
  const box = sandboxFor(t);
  // pid 1 is alive on every Linux host, so only the forged fields can make this lease expired.
  const alive = { generation: 1, holder: 'x', pid: 1, host: hostname(), heartbeat: Date.now(), ttlMs: 60_000 };
  const forgeries = [
    { ...alive, ttlMs: 9e15 },
    { ...alive, heartbeat: Date.now() + 9e12 },
    { ...alive, label: '\u001b]0;owned\u0007' + 'x'.repeat(100_000) },
    { ...alive, pid: { deep: [[[]]] } },
  ];
  for (const [i, forged] of forgeries.entries()) {
    const generation = i + 1;
    writeLeaseFile(box.store, { ...forged, generation });
    const lease = new StoreLease(box.store);
    assert.equal(await lease.tryAcquire(), true, `forgery ${i} kept the store`);
    await lease.dispose();
  }
  // The lease a real holder writes still holds.
  const holder = new StoreLease(box.store, { ttlMs: 60_000 });
  assert.equal(await holder.tryAcquire(), true);
  const other = new StoreLease(box.store);
  assert.equal(await other.tryAcquire(), false);
  await other.dispose();
  await holder.dispose();
});
