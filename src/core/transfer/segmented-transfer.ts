// One large file over several Range connections at once (like aria2 -x): each segment writes at its own offset
// of the one temp file. The temp file has holes until the end, so its size proves nothing; what counts is the
// segment record, which only ever names bytes that were written and fsynced before the record was stored.
import { promises as fs } from 'node:fs';
import type { ResponseBody } from './http-client';
import { BitsError, Codes, ErrorContext, httpStatusError } from '../errors';
import { retryOf } from '../model/retry';
import type { FileRecord, SegmentRecord } from '../model/job';
import { displayUrl } from '../util/url';
import { localFileError } from './network-errors';
import { local, open, stopIfAsked, translate, TransferStopped, withWatchdog, type Opened, type TransferHost } from './request';
import { parseContentLength, parseContentRange, validatorsDiffer, versionMismatch, type Validators } from './response';
import { BodyOverrun, LocalWriteFailure, overrunError, receiveBody, WRITE_BATCH_BYTES } from './body-receiver';
import { ConnectionRamp, DEFAULT_RAMP } from './connection-ramp';
import { openOwnTemp } from './temp-file';

/** The segments cannot go on: the server does not serve ranges after all, or the remote file changed. */
export class SegmentsUnusable extends Error {
  constructor(
    readonly reason: string,
    /** The server ignores ranges: fetch the file over one connection. Otherwise (a changed remote) start over. */
    readonly rangesUnsupported: boolean,
  ) {
    super(reason);
  }
}

/**
 * The connections of a file share one connection's write batch size (each gets its share, 128 KiB at least):
 * with 1 MiB batches each over several connections the CLI's peak RSS reached 158-166 MiB for 1 GiB on loopback
 * (the gathered chunks live longer and are collected later); with 256 KiB each, 99-104 MiB. A file down to one
 * connection writes full batches.
 */
const MIN_SEGMENT_BATCH_BYTES = 128 << 10;
/** How often the connection ramp looks at its measuring window when no bytes arrive (they end it otherwise). */
const RAMP_TICK_MS = 20;
/** A segment whose connection drops after making progress reconnects at once this many times. */
const SEGMENT_RECONNECTS = 3;
/**
 * An idle connection takes the second half of the piece with the most bytes still to come when that half is at
 * least this big: a new request costs a round trip, and halves of the 2 MiB last pieces are worth one here.
 */
export const MIN_SPLIT_BYTES = 512 << 10;
/** A connection the ramp gives back stops this far past the bytes it has (some are on their way already). */
const RETIRE_AFTER_BYTES = 64 << 10;

interface LiveSegment {
  record: SegmentRecord;
  /** Bytes written (not yet fsynced) up to here. */
  written: number;
}

/** A run being fetched: its bytes have arrived up to `arrived` (written or not). */
interface ActiveRun {
  run: LiveSegment[];
  arrived: number;
}

/**
 * Fetches every unfinished segment of `host.file` over at most the policy's number of connections (file.segments, bytesTotal and validators set and stored).
 * Resolves when all bytes are durably in the temp file; rejects with TransferStopped, SegmentsUnusable, or the
 * BitsError of a segment that could not continue (the others stop; every segment keeps its durable bytes).
 * `probe`: the whole-file answer that showed the file qualifies (same entity: its validators and size are the
 * record's). Its body serves the first piece, and the pieces after it as long as no other connection took them,
 * instead of a second request (a new connection, as the probe's cannot be reused with its body unread). The
 * caller destroys it afterwards in any case.
 */
export async function fetchSegments(host: TransferHost, probe?: Opened): Promise<void> {
  const handle = await local(host.file.tempPath, () => openOwnTemp(host.file));
  await new SegmentFetch(host, handle, probe).fetch();
}

/**
 * One fetch of a file's segments: the pieces still to come (the queue), the runs being fetched, the connections
 * (as many as the ramp wants), and the checkpoints that make written bytes durable. Each connection takes the
 * next unfinished piece until none is left, or until the ramp wants fewer.
 */
class SegmentFetch {
  private readonly segments: SegmentRecord[];
  private readonly live: LiveSegment[];
  /** Aborted when a connection fails: the others stop too. */
  private readonly group = new AbortController();
  private readonly signal: AbortSignal;
  /** The host each connection works with: it stops on the engine's stop and on the group's. */
  private readonly connectionHost: TransferHost;
  private checkpointing: Promise<void> = Promise.resolve();
  private readonly failures: unknown[] = [];
  private readonly queue: LiveSegment[];
  private readonly ramp: ConnectionRamp;
  private readonly connections: Promise<void>[] = [];
  private running = 0;
  /** Only a fresh split starts where the probe's body does. */
  private unusedProbe: Opened | undefined;
  /** The runs being fetched (an idle connection may take the second half of one). */
  private readonly active = new Set<ActiveRun>();
  private rampTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly host: TransferHost,
    private readonly handle: fs.FileHandle,
    probe: Opened | undefined,
  ) {
    this.segments = host.file.segments!;
    this.live = this.segments.map((record) => ({ record, written: record.position }));
    this.signal = AbortSignal.any([host.signal, this.group.signal]);
    this.connectionHost = { ...host, signal: this.signal };
    this.queue = this.live.filter((s) => s.written < s.record.end);
    const max = Math.max(1, Math.min(host.segmentPolicy().connections, this.queue.length));
    this.ramp = new ConnectionRamp({ ...DEFAULT_RAMP, max });
    const first = this.queue[0];
    this.unusedProbe = probe !== undefined && first?.record.start === 0 && first.written === 0 ? probe : undefined;
  }

  async fetch(): Promise<void> {
    const checkpointTimer = setInterval(() => void this.checkpoint().catch(() => undefined), this.host.segmentPolicy().checkpointMs);
    this.rampTimer = this.ramp.settled ? undefined : setInterval(() => this.judge(true), RAMP_TICK_MS);
    try {
      this.startConnections();
      // Connections started later join the list; wait until the list stops growing.
      for (let waited = 0; waited < this.connections.length;) {
        const batch = this.connections.slice(waited);
        await Promise.all(batch);
        waited += batch.length;
      }
    } finally {
      clearInterval(checkpointTimer);
      clearInterval(this.rampTimer);
      await this.settle();
    }
    if (this.host.signal.aborted) throw new TransferStopped();
    const cause = this.failures.find((e) => !(e instanceof TransferStopped)) ?? this.failures[0];
    if (cause !== undefined) throw cause;
    stopIfAsked(this.host);
  }

  private checkpoint(): Promise<void> {
    return (this.checkpointing = this.checkpointing.then(() => makeDurable(this.host, this.handle, this.live)));
  }

  /** The connections are over: a whole file's bytes count as its record's; otherwise what arrived is made durable. */
  private async settle(): Promise<void> {
    await this.checkpointing.catch(() => undefined);
    if (this.live.every((s) => s.written >= s.record.end)) {
      // Whole: the file now counts as transferred like a single-connection one (by its record, no sync of the
      // last second's bytes to wait for, as curl and the single path do not wait either).
      this.live.forEach((s) => (s.record.position = s.written));
    } else {
      // Stopped or failed: the bytes that did arrive are made durable and kept for the next attempt.
      await this.checkpoint().catch((err: unknown) => this.failures.push(localFileError(err, this.host.file.tempPath)));
    }
    await this.handle.close().catch(() => undefined);
  }

  private startConnections(): void {
    // With no piece left a new connection may still split one (or leave at once, which the ramp counts as
    // delivering: its window does not wait for it).
    const wanted = Math.max(0, this.ramp.target - this.running);
    for (let i = 0; i < wanted; i++) {
      this.running++;
      this.connections.push(
        this.connect().catch((err: unknown) => {
          this.failures.push(err);
          this.group.abort();
        }),
      );
    }
  }

  /** One connection: runs after runs, until no piece is left or the ramp wants fewer connections. */
  private async connect(): Promise<void> {
    let given = this.unusedProbe;
    this.unusedProbe = undefined;
    let announced = false;
    const connection: Connection = {
      host: this.connectionHost,
      handle: this.handle,
      active: this.active,
      firstBytes: () => {
        if (!announced) this.ramp.connectionDelivering();
        announced = true;
      },
      received: (bytes) => this.received(bytes),
      following: (run) => this.following(run),
      batchBytes: () => Math.max(MIN_SEGMENT_BATCH_BYTES, Math.floor(WRITE_BATCH_BYTES / Math.max(1, this.running))),
    };
    try {
      for (;;) {
        // A connection the ramp no longer wants leaves when its run ends (retire cuts the run short).
        if (this.signal.aborted || this.running > this.ramp.target) return;
        let run = takeRun(this.queue, this.ramp.settled && this.running === 1);
        if (run.length === 0) run = this.split();
        if (run.length === 0) return;
        await fetchRun(connection, run, given);
        given = undefined;
      }
    } finally {
      this.running--;
      connection.firstBytes();
    }
  }

  // Judged as bytes arrive, so a window ends when it is long enough, not at the next tick (up to 20 ms later, with
  // all but one connection of the next step still missing); the timer ends windows on a link gone quiet.
  private received(bytes: number): void {
    this.ramp.received(bytes);
    if (!this.ramp.settled) this.judge(false);
  }

  private judge(quiet: boolean): void {
    const ramp = this.ramp;
    const from = ramp.target;
    if (ramp.tick(quiet)) {
      const seen = ramp.lastWindow!;
      this.host.log(
        'debug',
        `${this.host.file.tempPath}: ${(seen.rate / 1048576).toFixed(1)} MiB/s over ${seen.count} connection(s), event loop ${Math.round((seen.busy ?? 0) * 100)}% busy; ${from} -> ${ramp.target}${ramp.settled ? ' (settled)' : ''}`,
      );
      if (ramp.target < this.running) this.retire(this.running - ramp.target);
      this.startConnections();
    }
    if (ramp.settled && !ramp.retesting) clearInterval(this.rampTimer);
  }

  /**
   * When no piece is left, the second half of what is still to come of the run furthest from its end (the
   * connection fetching it stops there): the last pieces end together instead of one connection finishing
   * alone. The record gets the new piece, so a checkpoint covers it like any other.
   */
  private split(): LiveSegment[] {
    const victim = this.furthestFromEnd();
    if (victim === undefined) return [];
    return this.cutRun(victim, victim.arrived + Math.floor(leftOf(victim) / 2));
  }

  /** The active run with the most still to come, when that is enough to be worth a request of its own. */
  private furthestFromEnd(): ActiveRun | undefined {
    let victim: ActiveRun | undefined;
    for (const a of this.active) if (victim === undefined || leftOf(a) > leftOf(victim)) victim = a;
    return victim !== undefined && leftOf(victim) >= 2 * MIN_SPLIT_BYTES ? victim : undefined;
  }

  /**
   * Ends `victim` at `at` (its connection stops there) and returns the rest: the new piece from `at`, and the
   * run's pieces after it. `at` must be past every byte that arrived, so it is inside a piece not written that
   * far (at > its start).
   */
  private cutRun(victim: ActiveRun, at: number): LiveSegment[] {
    const i = victim.run.findIndex((s) => s.record.end > at);
    const piece = victim.run[i];
    const record: SegmentRecord = { start: at, end: piece.record.end, position: at };
    piece.record.end = at;
    this.segments.splice(this.segments.indexOf(piece.record) + 1, 0, record);
    const rest: LiveSegment = { record, written: at };
    this.live.push(rest);
    return [rest, ...victim.run.splice(i + 1)];
  }

  /**
   * The ramp wants fewer connections: surplus ones stop soon after the bytes they have, and what they had still
   * to fetch goes back to the queue, where the remaining connection finds it. Waiting for them to finish their
   * piece (the first pieces of 1 GiB are 64 MiB) kept a second connection on a loopback 1 GiB file for about half
   * of it, with every write batch halved, where one connection alone was faster.
   */
  private retire(surplus: number): void {
    // The runs started last go (a set keeps insertion order): the one just started has fetched least, and a long
    // run, such as the whole-file answer's, goes on into the pieces that come back.
    const newestFirst = [...this.active].reverse().filter((a) => leftOf(a) >= 2 * MIN_SPLIT_BYTES);
    for (const victim of newestFirst.slice(0, surplus)) {
      for (const piece of this.cutRun(victim, victim.arrived + RETIRE_AFTER_BYTES)) {
        const at = this.queue.findIndex((q) => q.record.start > piece.record.start);
        this.queue.splice(at < 0 ? this.queue.length : at, 0, piece);
      }
    }
  }

  /** The piece right after `run`, when no connection took it yet: an open-ended body goes on into it. */
  private following(run: readonly LiveSegment[]): LiveSegment | undefined {
    const next = this.queue[0];
    if (next === undefined || next.record.start !== run[run.length - 1].record.end || next.written !== next.record.start) return undefined;
    return this.queue.shift();
  }
}

/** fsync, then record as durable what was written before the fsync began, then store the record. */
async function makeDurable(host: TransferHost, handle: fs.FileHandle, all: readonly LiveSegment[]): Promise<void> {
  // A split during the sync adds a piece, which waits for the next checkpoint.
  const live = all.slice();
  const written = live.map((s) => s.written);
  if (written.every((w, i) => w === live[i].record.position)) return;
  await handle.datasync();
  live.forEach((s, i) => (s.record.position = written[i]));
  host.save();
}

/** What a connection works with: the host and temp file of its run, and what it tells the ramp and asks of it. */
interface Connection {
  host: TransferHost;
  handle: fs.FileHandle;
  /** Bytes arrived on this connection (called for every chunk received; the first call is what counts). */
  firstBytes(): void;
  received(bytes: number): void;
  /** Takes the untaken piece right after the run, if there is one (for a body that goes on past the run). */
  following(run: readonly LiveSegment[]): LiveSegment | undefined;
  /** The runs being fetched (an idle connection may take the second half of one). */
  active: Set<ActiveRun>;
  /** This connection's write batch size now (its share of one connection's). */
  batchBytes(): number;
}

/** One answer being read into a run: its body starts in the run's piece `index` and ends at `asked`. */
interface RangeAnswer {
  body: ResponseBody;
  index: number;
  /** Where the body ends: the run's end as asked, or the file's end for the whole-file answer (`openEnded`). */
  asked: number;
  openEnded: boolean;
  /** The server, as a person reads it. */
  where: string;
}

/**
 * The next piece; when the file is down to one connection for good, also every following piece that is
 * contiguous and untouched, fetched with one request: a request per piece cost a single connection ~0.7 s
 * more user CPU per GiB here (not the checkpoints, not the chunks, which are the same; where exactly is not
 * pinned down), for nothing once no other connection shares the work.
 */
function takeRun(queue: LiveSegment[], alone: boolean): LiveSegment[] {
  const first = queue.shift();
  if (!first) return [];
  const run = [first];
  while (
    alone &&
    queue.length > 0 &&
    queue[0].record.start === run[run.length - 1].record.end &&
    queue[0].written === queue[0].record.start
  ) {
    run.push(queue.shift()!);
  }
  return run;
}

/**
 * Fetches consecutive pieces (usually one) with one Range request, reconnecting where the bytes stopped. With
 * `probe` (the whole-file answer; the run starts at byte 0) no request is made first: its body is read, and
 * goes on into the following pieces while no other connection took them.
 */
async function fetchRun(connection: Connection, run: LiveSegment[], probe?: Opened): Promise<void> {
  const host = connection.host;
  const file = host.file;
  let reconnects = 0;
  const mine: ActiveRun = { run, arrived: run[0].written };
  connection.active.add(mine);
  try {
    for (let next = firstUnfinished(run); next !== undefined; next = firstUnfinished(run)) {
      stopIfAsked(host);
      const from = run[next].written;
      mine.arrived = from;
      // The run's end as asked: a split may move the run's end before it later (the body then stops there).
      const end = run[run.length - 1].record.end;
      const openEnded = probe !== undefined && from === 0;
      const response = openEnded ? probe! : await open(host, from, end);
      probe = undefined;
      const where = displayUrl(response.url);
      if (!openEnded) {
        try {
          checkSegmentAnswer(response, from, end, file);
        } catch (err) {
          response.body.destroy();
          throw err;
        }
      }
      host.onResponding();
      try {
        await receiveRange(connection, mine, {
          body: response.body,
          index: next,
          asked: openEnded ? file.bytesTotal! : end,
          openEnded,
          where,
        });
      } catch (err) {
        if (err instanceof TransferStopped || host.signal.aborted) throw new TransferStopped();
        if (err instanceof ServerOverran) throw err.error;
        // A dropped connection that had delivered something reconnects at once; one that delivers nothing fails.
        const progressed = firstUnfinished(run) !== next || run[next].written > from;
        if (progressed && ++reconnects <= SEGMENT_RECONNECTS && err instanceof BitsError && retryOf(err).transient) {
          const at = firstUnfinished(run);
          host.log(
            'info',
            `segment ${run[0].record.start}-${end}: ${err.message}; reconnecting at ${at === undefined ? end : run[at].written}`,
          );
          continue;
        }
        throw err;
      }
    }
  } finally {
    connection.active.delete(mine);
  }
}

/** The bytes of a run still to come. */
function leftOf(active: ActiveRun): number {
  return active.run[active.run.length - 1].record.end - active.arrived;
}

function firstUnfinished(run: readonly LiveSegment[]): number | undefined {
  const i = run.findIndex((s) => s.written < s.record.end);
  return i < 0 ? undefined : i;
}

/**
 * Anything but the exact range (`from` to `end`) of the same entity as `file`'s stops the segments: bytes never
 * land at the wrong place.
 */
function checkSegmentAnswer(response: Opened, from: number, end: number, file: FileRecord): void {
  const { status, headers } = response;
  const where = displayUrl(response.url);
  const total = file.bytesTotal!;
  // The validators of the first answer: the record holds them.
  const first: Validators = file;
  if (status >= 200 && status < 300 && status !== 206) {
    // A whole file under other validators is another version: the split is worth nothing.
    const changed = validatorsDiffer(first, headers);
    throw new SegmentsUnusable(
      changed ? `${where} changed (${changed})` : `${where} answered a range request with the whole file (HTTP ${status})`,
      changed === undefined,
    );
  }
  if (status === 206) {
    const range = parseContentRange(headers['content-range']);
    if (!range || range.first !== from || range.last >= end || range.total !== total) {
      throw new SegmentsUnusable(
        `${where} answered bytes ${from}-${end - 1} with Content-Range "${headers['content-range'] ?? ''}"`,
        false,
      );
    }
    // Every piece must carry the validators of the first answer (a server may ignore If-Range).
    const changed = versionMismatch(first, headers);
    if (changed) throw new SegmentsUnusable(`${where} changed (${changed})`, false);
    const length = parseContentLength(headers['content-length']);
    if (length !== null && length !== range.last - range.first + 1) {
      throw new SegmentsUnusable(`${where}: Content-Length ${length} disagrees with Content-Range ${headers['content-range']}`, false);
    }
    return;
  }
  if (status === 416) throw new SegmentsUnusable(`${where} cannot serve bytes ${from}-${end - 1} (HTTP 416)`, false);
  if (status >= 400 && status < 600) throw httpStatusError(status, `${where} answered HTTP ${status}.`, ErrorContext.REMOTE_FILE);
  throw new BitsError(
    Codes.BG_E_INVALID_SERVER_RESPONSE,
    `${where} answered HTTP ${status} to a range request, which is not a download.`,
    ErrorContext.REMOTE_FILE,
    { transient: true },
  );
}

/** A piece's body ran past its range: the segment fails with `error` instead of reconnecting. */
class ServerOverran extends Error {
  constructor(readonly error: BitsError) {
    super(error.message);
  }
}

/** Why a body was stopped before its end: the run it serves is received, and what follows is another's. */
class RunReceived extends Error {}

/**
 * Receives the answer's bytes into the run from its piece `index` on; each written byte advances the piece it
 * belongs to. `asked`: where the body ends (the file's end for the whole-file answer, `openEnded`). When the run ends
 * before that (a split took its second half, or the body is the whole file's), the body stops at the run's end;
 * an open-ended one first grows the run into each following piece no connection took yet. The few bytes that
 * arrived past the run by then are the same entity's bytes at their own offsets, so writing them is harmless;
 * they are not counted.
 */
async function receiveRange(connection: Connection, mine: ActiveRun, answer: RangeAnswer): Promise<void> {
  const { host, handle } = connection;
  const { body, index, asked, openEnded, where } = answer;
  const run = mine.run;
  const from = run[index].written;
  let current = index;
  const stop = new AbortController();
  let stopping = false;
  try {
    await withWatchdog(host, (signal, watchdog) =>
      receiveBody(body, handle, from, {
        limiter: host.limiter,
        // Never past the range asked for (the file's end for the whole-file answer): a body that runs past its
        // Content-Range would write into other pieces, or past the end of the file.
        limit: asked - from,
        batchBytes: connection.batchBytes,
        signal: AbortSignal.any([signal, stop.signal]),
        onWritten: (bytes) => {
          let counted = 0;
          for (let left = bytes; left > 0;) {
            const piece = run[current];
            // Never past the run: the body's bytes beyond it are not this run's.
            if (piece === undefined) break;
            const n = Math.min(left, piece.record.end - piece.written);
            piece.written += n;
            counted += n;
            left -= n;
            if (piece.written === piece.record.end) current++;
          }
          host.file.bytesTransferred += counted;
          watchdog.kick();
          host.onBytes(counted);
        },
        // The ramp measures the network: counted as written, bytes come in write batches (128 KiB to 512 KiB, or
        // every 50 ms), and a short window that caught one lump more looked like a clear gain on a loaded machine.
        onReceived: (bytes) => {
          connection.firstBytes();
          connection.received(bytes);
          mine.arrived += bytes;
          for (
            let end = run[run.length - 1].record.end;
            mine.arrived >= end && end < asked && !stopping;
            end = run[run.length - 1].record.end
          ) {
            const piece = openEnded ? connection.following(run) : undefined;
            if (piece === undefined) {
              stopping = true;
              // After this chunk is taken in (the receiver batches it once this returns), so it is written too.
              queueMicrotask(() => stop.abort(new RunReceived()));
              return;
            }
            run.push(piece);
          }
        },
      }),
    );
  } catch (err) {
    // receiveBody settles only once its last write is counted: a reconnect starts at the counted position.
    if (host.signal.aborted) throw new TransferStopped();
    if (err instanceof RunReceived && firstUnfinished(run) === undefined) return;
    if (err instanceof LocalWriteFailure) throw localFileError(err.error, host.file.tempPath);
    // Not a dropped connection to reconnect: the server answers wrongly, and the job says so.
    if (err instanceof BodyOverrun) throw new ServerOverran(overrunError(where, from, asked));
    throw translate(host, err, where);
  }
  if (current === index && run[index].written === from && from < run[index].record.end) {
    throw new BitsError(Codes.BG_E_INVALID_SERVER_RESPONSE, `${where} sent an empty part of the file.`, ErrorContext.REMOTE_FILE, {
      transient: true,
    });
  }
}
