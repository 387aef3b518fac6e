// The data path from a response body to the temp file (core/transfer/body-receiver.ts), fed by real responses
// from a loopback server: bytes land at the right offset, counted in order, in batch-sized writes one at a time; a
// connection reset still writes and counts what arrived; a failing disk is a LocalWriteFailure.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, promises as fs, readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { BandwidthLimiter } from '../../../../src/core/transfer/bandwidth';
import { LocalWriteFailure, receiveBody } from '../../../../src/core/transfer/body-receiver';
import { sandboxFor, type AfterHook } from '../../../support/engine';
import { sha256, startServer, testBytes, type TestServer } from '../../../support/servers';

let server: TestServer;
const body = testBytes(2_500_000, 51);
before(async () => {
  server = await startServer();
  server.route('/whole', { body });
  server.route('/reset', { body, resetAfter: 700_000 });
});
after(() => server.close());

function get(url: string): Promise<Readable> {
  return new Promise((resolve, reject) => http.get(url, resolve).on('error', reject));
}

/** A sandbox whose destination folder exists (the receiver writes into it without making it). */
function boxFor(t: AfterHook) {
  const box = sandboxFor(t);
  mkdirSync(box.dest, { recursive: true });
  return box;
}

test('a body lands byte-identical at its offset, counted in order, in batches written one at a time, hashed as it goes', async (t) => {
  const box = boxFor(t);
  const file = path.join(box.dest, 'offset.bin');
  const prefix = Buffer.from('kept prefix: ');
  await fs.writeFile(file, prefix);
  const handle = await fs.open(file, 'r+');
  // The real file handle, watched: where each write starts and whether another was still going on.
  const writes: { at: number; bytes: number; overlapped: boolean }[] = [];
  let going = 0;
  const watched = Object.create(handle, {
    writev: {
      value: async (buffers: Buffer[], at: number) => {
        const overlapped = going++ > 0;
        try {
          const result = await handle.writev(buffers, at);
          writes.push({ at, bytes: result.bytesWritten, overlapped });
          return result;
        } finally {
          going--;
        }
      },
    },
  }) as typeof handle;
  const counted: number[] = [];
  const hash = createHash('sha256');
  const batchBytes = 256 << 10;
  const response = await get(server.url('/whole'));
  let largestChunk = 0;
  response.on('data', (chunk: Buffer) => (largestChunk = Math.max(largestChunk, chunk.length)));
  try {
    await receiveBody(response, watched, prefix.length, {
      hash,
      batchBytes,
      signal: new AbortController().signal,
      onWritten: (bytes) => counted.push(bytes),
    });
  } finally {
    await handle.close();
  }
  assert.ok(readFileSync(file).equals(Buffer.concat([prefix, body])), 'the prefix is untouched and the body follows it');
  assert.deepEqual(
    counted,
    writes.map((w) => w.bytes),
    'each write counted once it is done, in order',
  );
  assert.ok(
    writes.every((w) => !w.overlapped),
    'never two writes at once (so a failed or interrupted one leaves no hole)',
  );
  let next = prefix.length;
  for (const w of writes) {
    assert.equal(w.at, next, 'each write starts where the last one ended');
    next += w.bytes;
  }
  assert.equal(next, prefix.length + body.length);
  // A batch is written once it holds batchBytes: it overshoots by less than one chunk.
  assert.ok(
    writes.every((w) => w.bytes < batchBytes + largestChunk),
    `no batch past the size by a chunk (${Math.max(...writes.map((w) => w.bytes))})`,
  );
  assert.ok(writes.length >= Math.floor(body.length / (batchBytes + largestChunk)), `${writes.length} writes`);
  assert.equal(hash.digest('hex'), sha256(body));
});

test('a connection reset rejects only after the bytes that arrived are written and counted', async (t) => {
  const box = boxFor(t);
  const file = path.join(box.dest, 'reset.bin');
  const handle = await fs.open(file, 'w');
  let counted = 0;
  let error: unknown;
  try {
    await receiveBody(await get(server.url('/reset')), handle, 0, {
      batchBytes: 1 << 20,
      signal: new AbortController().signal,
      onWritten: (bytes) => (counted += bytes),
    });
  } catch (err) {
    error = err;
  } finally {
    await handle.close();
  }
  assert.ok(error !== undefined && !(error instanceof LocalWriteFailure), `a network error (${String(error)})`);
  assert.ok(counted > 0 && counted <= 700_000, `what arrived before the reset is counted (${counted})`);
  const onDisk = readFileSync(file);
  assert.ok(onDisk.subarray(0, counted).equals(body.subarray(0, counted)), 'and every counted byte is in the file, right');
});

test('a write that fails is a LocalWriteFailure carrying the file-system error; nothing is counted', async (t) => {
  const box = boxFor(t);
  const file = path.join(box.dest, 'read-only.bin');
  await fs.writeFile(file, '');
  const handle = await fs.open(file, 'r');
  let counted = 0;
  try {
    await assert.rejects(
      receiveBody(await get(server.url('/whole')), handle, 0, {
        batchBytes: 256 << 10,
        signal: new AbortController().signal,
        onWritten: (bytes) => (counted += bytes),
      }),
      (err: unknown) => err instanceof LocalWriteFailure && (err.error as NodeJS.ErrnoException).code === 'EBADF',
    );
  } finally {
    await handle.close();
  }
  assert.equal(counted, 0);
});

test('a stop (the signal) ends the transfer with its reason, keeping what arrived', async (t) => {
  const box = boxFor(t);
  server.route('/slow', { body, bytesPerSecond: 400_000 });
  const file = path.join(box.dest, 'stopped.bin');
  const handle = await fs.open(file, 'w');
  const stop = new AbortController();
  let counted = 0;
  const reason = new Error('stopped by the test');
  try {
    const receiving = receiveBody(await get(server.url('/slow')), handle, 0, {
      batchBytes: 1 << 20,
      signal: stop.signal,
      onWritten: (bytes) => {
        counted += bytes;
        stop.abort(reason);
      },
    });
    await assert.rejects(receiving, (err: unknown) => err === reason);
  } finally {
    await handle.close();
  }
  assert.ok(counted > 0 && counted < body.length, `${counted} bytes kept`);
  assert.ok(readFileSync(file).subarray(0, counted).equals(body.subarray(0, counted)));
});

test('under a bandwidth limit the bytes are written and counted in steps of an eighth of a second of the limit', async (t) => {
  const box = boxFor(t);
  const file = path.join(box.dest, 'limited.bin');
  const handle = await fs.open(file, 'w');
  const limit = 2 << 20;
  const steps: number[] = [];
  const response = await get(server.url('/whole'));
  let largestChunk = 0;
  response.on('data', (chunk: Buffer) => (largestChunk = Math.max(largestChunk, chunk.length)));
  try {
    await receiveBody(response, handle, 0, {
      batchBytes: 512 << 10,
      limiter: new BandwidthLimiter(limit),
      signal: new AbortController().signal,
      onWritten: (bytes) => steps.push(bytes),
    });
  } finally {
    await handle.close();
  }
  assert.ok(readFileSync(file).equals(body), 'the body arrives whole');
  // 256 KiB a step at 2 MiB/s (overshooting by less than a chunk), not the 512 KiB batches of an unlimited body.
  const largest = Math.max(...steps);
  assert.ok(largest < limit / 8 + largestChunk, `largest step ${largest} bytes (chunks up to ${largestChunk})`);
});
