// The data path from a response body to the temp file, with no per-chunk objects: a 'data' handler copies the
// body's chunks (16 KiB TLS records) into one of two reused buffers and writes a buffer with one positioned
// write once it is full, while the other fills. When both are busy the body pauses (and so the socket:
// backpressure), so memory stays at two buffers whatever the file size.
// Measured here on 1 GiB over TLS from nginx (CLI, one connection, 2 cores): a Writable sink (a request object
// per chunk, then a copy into a scratch buffer) cost ~0.2 s more user CPU per GiB than this; handing the chunk
// list to pwritev instead of copying saved the copy but cost 0.4-0.8 s more system CPU. The write size matters
// most: writing 1 GiB in 1 MiB or 4 MiB writes cost this machine anywhere from 0.25 to 2.6 s of system CPU
// from one run to the next, in 256 KiB writes a steady 0.34-0.40 s (64 KiB writes 0.73-0.81 s: the calls add
// up); through the CLI, 2.0-2.3 s of system CPU per GiB became 0.84-0.90 s. Hence WRITE_BUFFER_BYTES.
import type { Hash } from 'node:crypto';
import type { promises as fs } from 'node:fs';
import { finished, type Readable } from 'node:stream';
import type { BandwidthLimiter } from './bandwidth';

export interface ReceiveOptions {
  /** Fed with every byte, in order. */
  hash?: Hash;
  /** Bytes wait for it before they are written. */
  limiter?: BandwidthLimiter;
  /** The size of each of the two buffers: a write starts when one is full (or a little time passed). */
  batchBytes: number;
  /** Bytes are in the file (counted in order: everything before them is written too). */
  onWritten: (bytes: number) => void;
  /** Bytes arrived from the network (before they are buffered and written): what a rate measurement wants. */
  onReceived?: (bytes: number) => void;
  /** The body ended without error: every byte has arrived (some may still wait for their write). */
  onEnded?: () => void;
  signal: AbortSignal;
}

/** The size of each of the two buffers (see above), for every caller: two per connection stay small. */
export const WRITE_BUFFER_BYTES = 256 << 10;

/** A slow body is written at least this often, so progress and checkpoints do not wait for a full batch. */
const FLUSH_AFTER_MS = 50;

/** The write that failed: a local file error, as opposed to an error of the body (the network). */
export class LocalWriteFailure extends Error {
  constructor(readonly error: unknown) {
    super('writing the temp file failed');
  }
}

/**
 * Streams `body` into `handle` from `position` on (a handle still opening is awaited by the first write, so the
 * open overlaps the first bytes' arrival). Resolves when the body ended and everything is written;
 * rejects with the body's error, the signal's reason, or a LocalWriteFailure, and only once the bytes that
 * arrived before it are written and counted (whoever continues from the counted position needs that).
 */
export function receiveBody(body: Readable, handle: fs.FileHandle | Promise<fs.FileHandle>, position: number, options: ReceiveOptions): Promise<void> {
  const { hash, limiter, batchBytes: capacity, onWritten, onReceived, onEnded, signal } = options;
  let filling = borrowBuffer(capacity);
  let filled = 0;
  /** The other buffer; undefined while it is being written. */
  let spare: Buffer | undefined = borrowBuffer(capacity);
  /** The rest of a chunk that found both buffers busy. */
  let pending: Buffer | undefined;
  let writing = false;
  let lastWrite = Date.now();
  let ended = false;
  let failure: unknown;
  /** A write failed (or waited for the limit until stopped): nothing after its bytes may be written or counted. */
  let broken = false;
  let settled = false;

  return new Promise<void>((resolve, reject) => {
    const settle = () => {
      if (settled || writing) return;
      const drained = filled === 0 && pending === undefined;
      if (failure !== undefined && (drained || broken)) {
        finish();
        reject(failure);
      } else if (failure === undefined && ended && drained) {
        finish();
        resolve();
      }
    };
    // The body failed or the transfer stops: what did arrive is still written (a resume continues after it).
    const fail = (err: unknown) => {
      if (failure === undefined) failure = err;
      body.destroy();
      write();
      settle();
    };
    const write = () => {
      if (writing || filled === 0 || broken) return;
      const buffer = filling;
      const bytes = filled;
      const at = position;
      filling = spare!;
      spare = undefined;
      filled = 0;
      position += bytes;
      writing = true;
      lastWrite = Date.now();
      hash?.update(buffer.subarray(0, bytes));
      void writeAll(handle, buffer, bytes, at, limiter, signal).then(
        () => {
          writing = false;
          spare = buffer;
          onWritten(bytes);
          if (pending !== undefined) {
            const rest = pending;
            pending = undefined;
            take(rest);
          }
          if (filled > 0 && (ended || failure !== undefined || filled === capacity)) write();
          if (body.isPaused() && pending === undefined && filled < capacity && !ended && failure === undefined) body.resume();
          settle();
        },
        (err: unknown) => {
          writing = false;
          spare = buffer;
          broken = true;
          fail(signal.aborted ? signal.reason : new LocalWriteFailure(err));
        },
      );
    };
    /** Copies a chunk in, writing full buffers; a rest that finds both buffers busy waits (and the body pauses). */
    const take = (chunk: Buffer) => {
      for (let from = 0; from < chunk.length; ) {
        if (filled === capacity) {
          if (writing) {
            pending = from === 0 ? chunk : chunk.subarray(from);
            body.pause();
            return;
          }
          write();
        }
        const n = chunk.copy(filling, filled, from);
        filled += n;
        from += n;
      }
      if (!writing && (filled === capacity || Date.now() - lastWrite >= FLUSH_AFTER_MS)) write();
    };
    const onData = (chunk: Buffer) => {
      onReceived?.(chunk.length);
      take(chunk);
    };
    const onAbort = () => fail(signal.reason);
    const stopWatching = finished(body, { writable: false }, (err) => {
      if (err) return fail(err);
      ended = true;
      write();
      settle();
      onEnded?.();
    });
    const finish = () => {
      settled = true;
      body.off('data', onData);
      signal.removeEventListener('abort', onAbort);
      stopWatching();
      returnBuffer(filling);
      if (spare) returnBuffer(spare);
    };
    if (signal.aborted) return fail(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    body.on('data', onData);
  });
}

/**
 * Buffers outlive the transfers that borrow them: a job of many small files would otherwise allocate (and
 * page-fault, and collect) two buffers per file. Only as many are kept as were in use at once, up to a bound.
 */
const pools = new Map<number, Buffer[]>();
const POOLED_PER_SIZE = 16;

function borrowBuffer(size: number): Buffer {
  return pools.get(size)?.pop() ?? Buffer.allocUnsafeSlow(size);
}

function returnBuffer(buffer: Buffer): void {
  let pool = pools.get(buffer.length);
  if (!pool) pools.set(buffer.length, (pool = []));
  if (pool.length < POOLED_PER_SIZE) pool.push(buffer);
}

async function writeAll(opening: fs.FileHandle | Promise<fs.FileHandle>, buffer: Buffer, bytes: number, at: number, limiter: BandwidthLimiter | undefined, signal: AbortSignal): Promise<void> {
  const handle = await opening;
  // Checked per batch, so a limit set mid-transfer applies at once; unlimited costs one test.
  if (limiter?.limited) await limiter.take(bytes, signal);
  for (let done = 0; done < bytes; ) {
    const { bytesWritten } = await handle.write(buffer, done, bytes - done, at + done);
    if (bytesWritten <= 0) throw new Error(`write returned ${bytesWritten}`);
    done += bytesWritten;
  }
}
