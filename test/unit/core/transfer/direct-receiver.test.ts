// The direct path's receiver on its own: slices written synchronously as they come, and after three slow writes
// in a row (a busy or network disk, which would stall the event loop) the rest handed to the batched receiver,
// byte-exact. The writes are timed on the test's clock, which makes them as slow as each case needs.
import assert from 'node:assert/strict';
import { mkdtempSync, promises as fs, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import type { BodySink, DirectBody } from '../../../../src/core/net/direct-body';
import { receiveStream } from '../../../../src/core/transfer/body-receiver';
import { receiveDirect, type StreamReceiver } from '../../../../src/core/transfer/direct-receiver';
import { testBytes } from '../../../support/servers';

const SLICE = 16 << 10;

/**
 * Receives `bytes` into a fresh file, delivered in slices of SLICE from one reused buffer (as the onread path
 * does), while each read of the receiver's clock during slice k (from 1) advances it by `msPerRead(k)`: a write
 * is timed by two reads, so it takes that long.
 */
async function receive(t: TestContext, bytes: Buffer, msPerRead: (slice: number) => number) {
  const dir = mkdtempSync(path.join(tmpdir(), 'md-direct-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'f');
  const handle = await fs.open(file, 'w');
  t.after(() => handle.close());

  let clock = 0;
  let slice = 0;
  const now = () => (clock += slice === 0 ? 0 : msPerRead(slice));
  const reused = Buffer.alloc(SLICE);
  let at = 0;
  let paused = false;
  let sink: BodySink | undefined;
  const pump = () => {
    while (sink !== undefined && !paused && at < bytes.length) {
      const n = bytes.copy(reused, 0, at, at + SLICE);
      at += n;
      slice++;
      sink.data(reused.subarray(0, n));
    }
    if (sink !== undefined && !paused && at >= bytes.length) sink.end();
  };
  const body: DirectBody = {
    direct: true,
    start: (next) => {
      sink = next;
      setImmediate(pump);
    },
    pause: () => void (paused = true),
    resume: () => {
      paused = false;
      setImmediate(pump);
    },
    destroy: () => void (sink = undefined),
  };

  let handedOverAt: number | undefined;
  const stream: StreamReceiver = (rest, to, position, options) => {
    handedOverAt = position;
    return receiveStream(rest, to, position, options);
  };
  let counted = 0;
  const signal = new AbortController().signal;
  await receiveDirect(body, handle, 0, { batchBytes: 512 << 10, onWritten: (n) => (counted += n), signal }, stream, now);
  return { content: readFileSync(file), counted, handedOverAt };
}

test('quick writes: every slice is written at once, byte-exact, nothing handed over', async (t) => {
  const bytes = testBytes(40 * SLICE + 123);
  const { content, counted, handedOverAt } = await receive(t, bytes, () => 1);
  assert.equal(handedOverAt, undefined);
  assert.ok(content.equals(bytes));
  assert.equal(counted, bytes.length, 'every byte counted as written');
});

test('three slow writes in a row hand the rest to the batched receiver, which finishes byte-exact', async (t) => {
  const bytes = testBytes(40 * SLICE + 123);
  const { content, counted, handedOverAt } = await receive(t, bytes, (slice) => (slice >= 5 ? 11 : 1));
  assert.equal(handedOverAt, 7 * SLICE, 'slices 5, 6 and 7 were slow: the rest goes on from the byte after them');
  assert.ok(content.equals(bytes), 'byte-exact across the hand-over (the reused buffer is copied, not shared)');
  assert.equal(counted, bytes.length);
});

test('slow writes with a quick one between them are not a slow disk (a preemption under load looks slow once)', async (t) => {
  const bytes = testBytes(40 * SLICE);
  const slow = new Set([3, 4, 6, 7, 9, 10, 20]);
  const { content, handedOverAt } = await receive(t, bytes, (slice) => (slow.has(slice) ? 11 : 1));
  assert.equal(handedOverAt, undefined);
  assert.ok(content.equals(bytes));
});
