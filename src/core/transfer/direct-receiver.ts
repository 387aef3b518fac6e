// The direct path's receiver: each decrypted slice is hashed and written to the temp file at once, with a
// synchronous positioned write, before the next slice is read. bench/FINDINGS.md ("The limit", point 5): this is
// level with curl in CPU, where a stream with batched asynchronous writes reached 0.5-0.8 of its speed. Under a
// bandwidth limit, or when a write is slow (a busy or network disk blocks the main thread), the rest of the body
// goes through the batched asynchronous receiver instead.
import type { promises as fs } from 'node:fs';
import { writeSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { DirectBody } from '../net/direct-body';
import type { ReceiveOptions } from './body-receiver';
import { BodyOverrun, LocalWriteFailure } from './receive-errors';

/** Written bytes are counted (onWritten) at least this often, by bytes or by time, like the batched receiver's batches. */
const COUNT_EVERY_BYTES = 512 << 10;
const COUNT_EVERY_MS = 50;
/**
 * Writes this slow, this many times in a row, mean a slow disk whose synchronous writes stall the event loop: the
 * rest is written asynchronously. One slow write is not enough: on a loaded machine a write measured across a
 * preemption looks slow (measured here: one such write 550 MB into a 1 GiB file sent the rest down the slower
 * path).
 */
const SLOW_WRITE_MS = 10;
const SLOW_WRITES_IN_A_ROW = 3;

export type StreamReceiver = (
  body: Readable,
  handle: fs.FileHandle | Promise<fs.FileHandle>,
  position: number,
  options: ReceiveOptions,
) => Promise<void>;

/**
 * Writes `body` into `handle` from `position` on, as receiveBody does for a stream, with its guarantees: it
 * settles only once every byte that arrived before a failure is written and counted, and never writes past
 * `limit`.
 */
export async function receiveDirect(
  body: DirectBody,
  handle: fs.FileHandle | Promise<fs.FileHandle>,
  position: number,
  options: ReceiveOptions,
  receiveStream: StreamReceiver,
  /** The clock that times the writes (a test's, to make them slow). */
  now: () => number = Date.now,
): Promise<void> {
  const { hash, limiter, onWritten, onReceived, onEnded, signal, limit } = options;
  let fd: number;
  try {
    // The body waits in the socket while the file opens: a synchronous write needs the descriptor.
    fd = (await handle).fd;
  } catch (err) {
    body.destroy();
    throw signal.aborted ? signal.reason : new LocalWriteFailure(err);
  }
  if (signal.aborted) {
    body.destroy();
    throw signal.reason;
  }
  return new Promise<void>((resolve, reject) => {
    let taken = 0;
    let uncounted = 0;
    let lastCount = now();
    let countTimer: NodeJS.Timeout | undefined;
    let over = false;
    let slowWrites = 0;

    const count = () => {
      clearTimeout(countTimer);
      countTimer = undefined;
      lastCount = now();
      if (uncounted === 0) return;
      const bytes = uncounted;
      uncounted = 0;
      onWritten(bytes);
    };
    const settle = (err?: unknown) => {
      if (over) return;
      over = true;
      signal.removeEventListener('abort', onAbort);
      count();
      if (err === undefined) resolve();
      else reject(err);
    };
    const stop = (err: unknown) => {
      body.destroy();
      settle(err);
    };
    const onAbort = () => stop(signal.reason);

    /** The rest of the body (from `first`, a copy of a slice not taken yet) goes to the batched asynchronous receiver. */
    const handOver = (first: Buffer | undefined) => {
      count();
      over = true;
      signal.removeEventListener('abort', onAbort);
      const rest = new Readable({
        read: () => body.resume(),
        destroy: (err, callback) => {
          body.destroy();
          callback(err);
        },
      });
      if (first) rest.push(first);
      body.start({
        data: (slice) => {
          if (!rest.push(Buffer.from(slice))) body.pause();
        },
        end: () => rest.push(null),
        error: (err) => rest.destroy(err as Error),
      });
      receiveStream(rest, handle, position, { ...options, limit: limit === undefined ? undefined : limit - taken }).then(resolve, reject);
    };

    const write = (piece: Buffer): boolean => {
      let done = 0;
      try {
        while (done < piece.length) {
          const bytes = writeSync(fd, piece, done, piece.length - done, position + done);
          if (bytes <= 0) throw new Error(`write returned ${bytes}`);
          done += bytes;
        }
        return true;
      } catch (err) {
        stop(signal.aborted ? signal.reason : new LocalWriteFailure(err));
        return false;
      } finally {
        // What did reach the file is counted, even when the write failed part way.
        position += done;
        uncounted += done;
      }
    };

    const data = (slice: Buffer) => {
      if (over) return;
      // Read per slice, so a limit set mid-transfer applies at once.
      if (limiter?.limited) return handOver(Buffer.from(slice));
      const room = limit === undefined ? slice.length : limit - taken;
      const piece = slice.length > room ? slice.subarray(0, room) : slice;
      taken += piece.length;
      onReceived?.(piece.length);
      hash?.update(piece);
      const started = now();
      if (!write(piece)) return;
      if (piece.length < slice.length) return stop(new BodyOverrun(limit!));
      const written = now();
      if (uncounted >= COUNT_EVERY_BYTES || written - lastCount >= COUNT_EVERY_MS) count();
      else countTimer ??= setTimeout(count, COUNT_EVERY_MS);
      slowWrites = written - started > SLOW_WRITE_MS ? slowWrites + 1 : 0;
      if (slowWrites >= SLOW_WRITES_IN_A_ROW && !over) handOver(undefined);
    };

    signal.addEventListener('abort', onAbort, { once: true });
    body.start({
      data,
      end: () => {
        if (over) return;
        count();
        onEnded?.();
        settle();
      },
      error: (err) => stop(err),
    });
  });
}
