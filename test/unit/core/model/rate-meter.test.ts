// The rate the Jobs view shows must be right from the first second of a transfer (no "8 h left" at start).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateMeter } from '../../../../src/core/model/progress';

test('right after a start the rate is measured over the time elapsed, not the whole window', () => {
  const meter = new RateMeter(3);
  const t0 = 1_000_000_200;
  meter.add(500_000, t0);
  meter.add(500_000, t0 + 200);
  // 1 MB in 0.5 s (the floor) is 2 MB/s; dividing by the 2-3 s window would say 0.4 MB/s.
  assert.equal(Math.round(meter.rate(t0 + 200)), 2_000_000);
  meter.add(1_000_000, t0 + 1000);
  assert.equal(Math.round(meter.rate(t0 + 1000)), 2_000_000);
});

test('once the window is full, the rate is the window average; a reset starts over', () => {
  const meter = new RateMeter(3);
  const t0 = 2_000_000_000;
  for (let ms = 0; ms <= 5000; ms += 100) meter.add(100_000, t0 + ms); // 1 MB/s
  const rate = meter.rate(t0 + 5000);
  assert.ok(rate > 900_000 && rate < 1_200_000, String(rate));
  meter.reset();
  assert.equal(meter.rate(t0 + 6000), 0);
});
