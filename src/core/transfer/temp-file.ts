// Temp files: hidden, beside the destination (same file system, so Complete is an atomic rename), never the
// final name. The sink writes them in large batches at explicit positions, with backpressure.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BandwidthLimiter } from './bandwidth';

export const TEMP_SUFFIX = '.mddownload';
const maxNameBytes = 255;

/** `.<name>.<job id, 8 chars>-<file index>.mddownload` beside `localPath`. */
export function tempPathFor(localPath: string, jobId: string, fileIndex: number): string {
  const tail = `.${jobId.replace(/-/g, '').slice(0, 8)}-${fileIndex}${TEMP_SUFFIX}`;
  let name = path.basename(localPath);
  // File names are limited to 255 bytes; keep the distinguishing tail and shorten the name.
  while (Buffer.byteLength('.' + name + tail) > maxNameBytes) name = name.slice(0, -1);
  return path.join(path.dirname(localPath), `.${name}${tail}`);
}

/** Size of a file, 0 when it does not exist. */
export async function sizeOf(file: string): Promise<number> {
  try {
    return (await fs.stat(file)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}

/** A sha256 already fed with the first `length` bytes of `file` (to continue hashing after a resume). */
export async function hashPrefix(file: string, length: number): Promise<Hash> {
  const hash = createHash('sha256');
  if (length > 0) {
    await pipeline(createReadStream(file, { start: 0, end: length - 1, highWaterMark: 1 << 20 }), async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) hash.update(chunk);
    });
  }
  return hash;
}

/** Large batches keep the syscall count low; the bound keeps memory flat whatever the file size. */
const SINK_HIGH_WATER_MARK = 4 << 20;
/** The reused write buffer: a batch is at most the high-water mark plus the chunk that crossed it. */
const SCRATCH_BYTES = 4 << 20;

/**
 * Scratch buffers outlive the sinks that borrow them: a job of many small files would otherwise allocate (and
 * page-fault, and collect) 4 MiB per file. Only as many are kept as were in use at once.
 */
const scratchPools = new Map<number, Buffer[]>();
const POOLED_PER_SIZE = 8;

function borrowScratch(size: number): Buffer {
  return scratchPools.get(size)?.pop() ?? Buffer.allocUnsafeSlow(size);
}

function returnScratch(buffer: Buffer): void {
  let pool = scratchPools.get(buffer.length);
  if (!pool) scratchPools.set(buffer.length, (pool = []));
  if (pool.length < POOLED_PER_SIZE) pool.push(buffer);
}

export interface TempFileSinkOptions {
  /** Fed with every byte, in order. */
  hash?: Hash;
  /** Bytes wait for it before they are written. */
  limiter?: BandwidthLimiter;
  /** Bytes buffered while a write is in flight (default 4 MiB); smaller when many sinks run at once. */
  highWaterMark?: number;
}

/**
 * Writes a response body into the temp file at `position` onward. While one write is in flight, the stream
 * buffers up to 4 MiB and hands the whole batch to the next write; `write()` returns false beyond that,
 * which pauses the socket (backpressure).
 */
export class TempFileSink extends Writable {
  private position: number;
  /** The file-system error that stopped the sink, as opposed to an error of the body it was fed from. */
  writeFailure: unknown;

  private readonly hash?: Hash;
  private readonly limiter?: BandwidthLimiter;

  constructor(
    private readonly handle: fs.FileHandle,
    start: number,
    private readonly onWritten: (bytes: number) => void,
    options: TempFileSinkOptions = {},
  ) {
    super({ highWaterMark: options.highWaterMark ?? SINK_HIGH_WATER_MARK });
    this.position = start;
    this.hash = options.hash;
    this.limiter = options.limiter;
  }

  /** Ends a wait for the bandwidth limit when the stream is torn down. */
  private readonly stopped = new AbortController();

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.stopped.abort();
    callback(error);
  }

  private inFlight: Promise<void> = Promise.resolve();

  /**
   * Settles when no write is in flight. A pipeline whose source failed rejects at once, while the sink may still
   * be writing (and about to count) its last batch: whoever continues from the counted position waits for this.
   */
  idle(): Promise<void> {
    return this.inFlight;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.track(this.writeBatch([chunk]), callback);
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    this.track(this.writeBatch(chunks.map((c) => c.chunk)), callback);
  }

  private track(write: Promise<void>, callback: (error?: Error | null) => void): void {
    this.inFlight = write.then(
      () => callback(),
      (err: Error) => this.failed(err, callback),
    );
  }

  private failed(err: Error, callback: (error?: Error | null) => void): void {
    this.writeFailure = err;
    callback(err);
  }

  private async writeBatch(buffers: Buffer[]): Promise<void> {
    let total = 0;
    for (const b of buffers) {
      this.hash?.update(b);
      total += b.length;
    }
    // Checked per batch, so a limit set mid-transfer applies at once; unlimited costs one test.
    if (this.limiter?.limited) await this.limiter.take(total, this.stopped.signal);
    if (buffers.length === 1) {
      await this.writeAt(buffers[0], buffers[0].length);
    } else {
      // One contiguous write per batch, through one reused buffer. Measured here on 1 GiB over TLS: pwritev of
      // hundreds of 16 KiB records was ~5x slower than one write, and a fresh 4 MiB buffer per batch cost its
      // page faults and garbage collection again every time.
      // A sink that buffers less (one of many segments) copies through a smaller buffer, too.
      const scratch = borrowScratch(Math.min(SCRATCH_BYTES, this.writableHighWaterMark));
      try {
        let filled = 0;
        for (const b of buffers) {
          let from = 0;
          while (from < b.length) {
            const n = b.copy(scratch, filled, from);
            filled += n;
            from += n;
            if (filled === scratch.length) {
              await this.writeAt(scratch, filled);
              filled = 0;
            }
          }
        }
        if (filled > 0) await this.writeAt(scratch, filled);
      } finally {
        returnScratch(scratch);
      }
    }
    this.onWritten(total);
  }

  private async writeAt(buffer: Buffer, length: number): Promise<void> {
    let done = 0;
    while (done < length) {
      const { bytesWritten } = await this.handle.write(buffer, done, length - done, this.position);
      this.position += bytesWritten;
      done += bytesWritten;
    }
  }
}
