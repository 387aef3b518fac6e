// The data path from a response body to the temp file. The body's chunks (16 KiB TLS records, each already a
// fresh Buffer) are gathered, not copied, into batches, and each batch goes to the file in one positioned writev,
// from the thread pool, while the main thread decrypts the next. Writes run one at a time, in order, so the file
// never has a hole: whatever a crash or a failed write leaves, the file's length covers only bytes that are
// there (a resume trusts it). While one batch is written and another is full, the body pauses (and so the
// socket: backpressure), so memory stays at about three batches whatever the file size.
// Measured here on 1 GiB over TLS from nginx (CLI, one connection, 2 cores, 5 runs each, interleaved): copying
// into two reused 256 KiB buffers, as this file did before, cost 1.55 s of user CPU; gathering, 1.16-1.38 s.
// The batch size is a trade: this kernel (6.18) caches a file written in 1 MiB writes in 1 MiB folios, and
// when its free memory is fragmented their allocation costs up to twice the system CPU (1.43-1.78 s where
// 256 KiB batches cost 0.8-1.0 s; compacting memory brought 1 MiB back to 0.96 s), while smaller batches cost
// more hand-offs to the thread pool. 512 KiB held up best: 1.83-2.16 s, against 1.83-2.51 (1 MiB) and 2.20-2.33
// (256 KiB) in the same runs.
import type { Hash } from 'node:crypto';
import type { promises as fs } from 'node:fs';
import { finished, type Readable } from 'node:stream';
import { BitsError, Codes, ErrorContext } from '../errors';
import type { BandwidthLimiter } from './bandwidth';
import { receiveDirect } from './direct-receiver';
import { isDirectBody, type ResponseBody } from './http-client';
import { BodyOverrun, LocalWriteFailure } from './receive-errors';

export interface ReceiveOptions {
  /** Fed with every byte, in order. */
  hash?: Hash;
  /** Bytes wait for it before they are written. */
  limiter?: BandwidthLimiter;
  /** A batch is written once it holds this many bytes (or a little time passed); asked again for every chunk. */
  batchBytes: number | (() => number);
  /** Bytes are in the file (counted in order: everything before them is written too). */
  onWritten: (bytes: number) => void;
  /** Bytes arrived from the network (before they are batched and written): what a rate measurement wants. */
  onReceived?: (bytes: number) => void;
  /** The body ended without error: every byte has arrived (some may still wait for their write). */
  onEnded?: () => void;
  /**
   * At most this many bytes are taken (the range asked for): a body that runs past it fails with BodyOverrun once
   * the bytes up to it are written. Nothing past it is ever written.
   */
  limit?: number;
  signal: AbortSignal;
}

/** The batch size for every caller (see above). */
export const WRITE_BATCH_BYTES = 512 << 10;

/** A slow body is written at least this often, so progress and checkpoints do not wait for a full batch. */
const FLUSH_AFTER_MS = 50;

/**
 * Under a bandwidth limit a batch holds at most this long of the limit: the limiter pays for a batch before its
 * write, so 512 KiB batches at 256 KiB/s made progress jump every 2 s (and the rate read from it swing to twice the
 * limit and back). An eighth of a second keeps progress smooth; the extra writes only happen at a limited rate.
 */
const LIMITED_BATCH_SECONDS = 1 / 8;
const MIN_LIMITED_BATCH = 16 << 10;

export { BodyOverrun, LocalWriteFailure };

/** The error of an answer whose body ran past bytes [start, end) it was asked for. */
export function overrunError(where: string, start: number, end: number): BitsError {
  return new BitsError(
    Codes.BG_E_INVALID_SERVER_RESPONSE,
    `${where} sent more than the bytes ${start}-${end - 1} its Content-Range names; nothing past them was written. The transfer continues from the bytes received; if the server keeps doing this, it is broken or hostile.`,
    ErrorContext.REMOTE_FILE,
    { transient: true },
  );
}

interface Batch {
  chunks: Buffer[];
  bytes: number;
}

/** Writes `body` into `handle` from `position` on: a direct body slice by slice (direct-receiver.ts), a stream in batches. */
export function receiveBody(
  body: ResponseBody,
  handle: fs.FileHandle | Promise<fs.FileHandle>,
  position: number,
  options: ReceiveOptions,
): Promise<void> {
  return isDirectBody(body)
    ? receiveDirect(body, handle, position, options, receiveStream)
    : receiveStream(body, handle, position, options);
}

/**
 * Streams `body` into `handle` from `position` on (a handle still opening is awaited by the first write, so the
 * open overlaps the first bytes' arrival). Resolves when the body ended and everything is written;
 * rejects with the body's error, the signal's reason, or a LocalWriteFailure, and only once the bytes that
 * arrived before it are written and counted (whoever continues from the counted position needs that).
 */
export function receiveStream(
  body: Readable,
  handle: fs.FileHandle | Promise<fs.FileHandle>,
  position: number,
  options: ReceiveOptions,
): Promise<void> {
  const { hash, limiter, onWritten, onReceived, onEnded, signal, limit } = options;
  let taken = 0;
  const askedBatchBytes = typeof options.batchBytes === 'number' ? () => options.batchBytes as number : options.batchBytes;
  const batchBytes = () =>
    limiter?.limited
      ? Math.min(askedBatchBytes(), Math.max(MIN_LIMITED_BATCH, Math.floor(limiter.limit * LIMITED_BATCH_SECONDS)))
      : askedBatchBytes();
  let gathering: Batch = { chunks: [], bytes: 0 };
  /** Full batches waiting for their write, in order. */
  const waiting: Batch[] = [];
  /** Bytes handed to writes and not yet written: the waiting batches and the one being written. */
  let unwritten = 0;
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
      const drained = gathering.bytes === 0 && waiting.length === 0;
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
      seal();
      settle();
    };
    /** The gathered chunks become a batch to write. */
    const seal = () => {
      if (gathering.bytes === 0 || broken) return;
      waiting.push(gathering);
      unwritten += gathering.bytes;
      gathering = { chunks: [], bytes: 0 };
      writeNext();
    };
    const writeNext = () => {
      if (writing || broken) return;
      const batch = waiting.shift();
      if (batch === undefined) return;
      const at = position;
      position += batch.bytes;
      writing = true;
      lastWrite = Date.now();
      void writeBatch(handle, batch, at, limiter, signal).then(
        () => {
          writing = false;
          unwritten -= batch.bytes;
          onWritten(batch.bytes);
          if (gathering.bytes > 0 && waiting.length === 0 && (ended || failure !== undefined)) seal();
          writeNext();
          if (body.isPaused() && unwritten < 2 * batchBytes() && !ended && failure === undefined) body.resume();
          settle();
        },
        (err: unknown) => {
          writing = false;
          broken = true;
          waiting.length = 0;
          fail(signal.aborted ? signal.reason : new LocalWriteFailure(err));
        },
      );
    };
    const onData = (chunk: Buffer) => {
      if (limit !== undefined && taken >= limit && failure !== undefined) return;
      if (limit !== undefined && taken + chunk.length > limit) {
        const room = limit - taken;
        if (room > 0) take(chunk.subarray(0, room));
        fail(new BodyOverrun(limit));
        return;
      }
      take(chunk);
    };
    const take = (chunk: Buffer) => {
      taken += chunk.length;
      onReceived?.(chunk.length);
      hash?.update(chunk);
      gathering.chunks.push(chunk);
      gathering.bytes += chunk.length;
      const size = batchBytes();
      if (gathering.bytes >= size || (!writing && Date.now() - lastWrite >= FLUSH_AFTER_MS)) {
        seal();
        // One batch being written and one full: wait for the disk.
        if (unwritten >= 2 * size) body.pause();
      }
    };
    const onAbort = () => fail(signal.reason);
    const stopWatching = finished(body, { writable: false }, (err) => {
      if (err) return fail(err);
      ended = true;
      seal();
      settle();
      onEnded?.();
    });
    const finish = () => {
      settled = true;
      body.off('data', onData);
      signal.removeEventListener('abort', onAbort);
      stopWatching();
    };
    if (signal.aborted) return fail(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    body.on('data', onData);
  });
}

async function writeBatch(
  opening: fs.FileHandle | Promise<fs.FileHandle>,
  batch: Batch,
  at: number,
  limiter: BandwidthLimiter | undefined,
  signal: AbortSignal,
): Promise<void> {
  const handle = await opening;
  // Checked per batch, so a limit set mid-transfer applies at once; unlimited costs one test.
  if (limiter?.limited) await limiter.take(batch.bytes, signal);
  let chunks = batch.chunks;
  for (let done = 0; ;) {
    const { bytesWritten } = await handle.writev(chunks, at + done);
    if (bytesWritten <= 0) throw new Error(`write returned ${bytesWritten}`);
    done += bytesWritten;
    if (done >= batch.bytes) return;
    // A short write (rare on a file): the rest follows from where it stopped.
    chunks = skipBytes(chunks, bytesWritten);
  }
}

function skipBytes(chunks: Buffer[], bytes: number): Buffer[] {
  let index = 0;
  while (bytes >= chunks[index].length) bytes -= chunks[index++].length;
  return [chunks[index].subarray(bytes), ...chunks.slice(index + 1)];
}
