// Runs one job's files, one at a time in order (BITS), until all are transferred, the engine stops it, or a file
// fails. The engine decides what a failure means for the job's state.
import type * as http from 'node:http';
import { BitsError, Codes, ErrorContext } from '../errors';
import { closesSettled, transferFile, TransferStopped, type TransferHost } from '../transfer/file-transfer';
import type { BandwidthLimiter } from '../transfer/bandwidth';
import type { SegmentPolicy } from '../transfer/segments';
import type { IdleLimit } from '../transfer/watchdog';
import type { ClientTlsOptions } from '../tls/client-certificate';
import type { JobRecord } from '../model/job';

export interface RunnerDeps {
  job: JobRecord;
  signal: AbortSignal;
  agentFor(protocol: 'http:' | 'https:'): http.Agent;
  headers(): Promise<Record<string, string>>;
  /** The job's client certificate for TLS, when it has one. */
  clientCertificate?(): Promise<ClientTlsOptions | undefined>;
  idleLimit(lastActivity: number): IdleLimit;
  onResponding(): void;
  onBytes(bytes: number): void;
  /** A file record changed (validators, size, redirect target): store it soon. */
  onFileChanged(): void;
  onFileTransferred(index: number): void;
  /** Store the job now; resolves once durable. */
  saveNow(): Promise<void>;
  segmentPolicy(): SegmentPolicy;
  limiter?: BandwidthLimiter;
  log(level: 'debug' | 'info' | 'warn', message: string): void;
}

/** A file failed; carries which one. */
export class FileFailure extends Error {
  constructor(
    readonly error: BitsError,
    readonly fileIndex: number,
  ) {
    super(error.message);
  }
}

/**
 * Resolves when every file is transferred; rejects with TransferStopped or FileFailure. Either way, no temp file
 * handle of the run is still open then (Complete and Cancel rename and delete them; Windows refuses that for an
 * open file).
 */
async function runJobFiles(deps: RunnerDeps): Promise<void> {
  try {
    await transferEachFile(deps);
  } finally {
    await closesSettled();
  }
}

/** How a run ended: every file transferred, stopped by the engine, or failed on one file. */
export type RunOutcome = { kind: 'transferred' } | { kind: 'stopped' } | { kind: 'failed'; error: BitsError; fileIndex: number };

/** Runs the job's files until none is left and says how the run ended; anything else unexpected is thrown. */
export async function runToEnd(deps: RunnerDeps): Promise<RunOutcome> {
  const { job, signal } = deps;
  try {
    // Again while files remain: one may be added just as the last one finished.
    while (!signal.aborted && job.files.some((f) => !f.transferred)) await runJobFiles(deps);
  } catch (err) {
    if (signal.aborted || err instanceof TransferStopped) return { kind: 'stopped' };
    if (err instanceof FileFailure) return { kind: 'failed', error: err.error, fileIndex: err.fileIndex };
    throw err;
  }
  return signal.aborted ? { kind: 'stopped' } : { kind: 'transferred' };
}

/**
 * The files in order. The next file's request goes out as soon as the current file's bytes have all arrived,
 * while its last write and its checks finish: a job of many small files would otherwise wait for a disk round
 * trip per file before asking for the next one. When the current file is small (AHEAD_ON_ANSWER_BYTES), the
 * next one asks already when the current one's answer comes in (over a second connection of the job's pool),
 * so the server prepares it while the current body streams. Only one file runs ahead, and it counts only once
 * the current file is transferred: if the current file fails, the one ahead is stopped and the job fails on the
 * current one.
 */
async function transferEachFile(deps: RunnerDeps): Promise<void> {
  const { job } = deps;
  let ahead: Running | undefined;
  try {
    // By index, not iterator: files added while the job runs are picked up at the end.
    for (let index = 0; index < job.files.length; index++) {
      if (deps.signal.aborted) throw new TransferStopped();
      if (job.files[index].transferred) continue;
      const current = ahead?.index === index ? ahead : startFile(deps, index);
      ahead = undefined;
      await Promise.race([current.nextMayStart, current.done.catch(() => undefined)]);
      const next = nextToTransfer(job, index + 1);
      if (next !== undefined && !current.settled && !deps.signal.aborted) ahead = startFile(deps, next);
      try {
        await current.done;
      } catch (err) {
        throw failureOf(err, index, deps.signal);
      }
      if (deps.signal.aborted) throw new TransferStopped();
      deps.onFileTransferred(index);
    }
  } finally {
    // Whatever ended the run, nothing of it may still be writing when the engine moves on (Complete, Cancel).
    if (ahead) {
      ahead.stop();
      await ahead.done.catch(() => undefined);
    }
  }
}

/**
 * A file at most this large lets the next one ask as soon as its answer comes in; a larger one, once its bytes
 * have all arrived (two large files at once would split the bandwidth a job gives one file at a time).
 */
export const AHEAD_ON_ANSWER_BYTES = 1 << 20;

interface Running {
  index: number;
  /**
   * Resolves when the next file may start: the file's answer came in and it is small, or its last bytes have
   * arrived (its writes may still be going on).
   */
  nextMayStart: Promise<void>;
  done: Promise<void>;
  settled: boolean;
  stop(): void;
}

function startFile(deps: RunnerDeps, index: number): Running {
  const { job } = deps;
  // The run's signal stops it too (forwarded by hand: AbortSignal.any ties every file's signal to the run's).
  const stopping = new AbortController();
  const forward = () => stopping.abort(deps.signal.reason);
  if (deps.signal.aborted) forward();
  else deps.signal.addEventListener('abort', forward, { once: true });
  let mayStartNext!: () => void;
  const nextMayStart = new Promise<void>((resolve) => (mayStartNext = resolve));
  const host: TransferHost = {
    jobId: job.id,
    fileIndex: index,
    file: job.files[index],
    securityFlags: job.securityFlags,
    writeOnlyHeaderNames: job.writeOnlyHeaderNames ?? [],
    signal: stopping.signal,
    headers: deps.headers,
    clientCertificate: deps.clientCertificate,
    clientCertificateRecord: () => job.clientCertificate,
    agentFor: deps.agentFor,
    idleLimit: deps.idleLimit,
    save: deps.onFileChanged,
    saveNow: deps.saveNow,
    segmentPolicy: deps.segmentPolicy,
    limiter: deps.limiter,
    onResponding: deps.onResponding,
    onBytes: deps.onBytes,
    onBodyReceived: () => mayStartNext(),
    onAnswered: (total) => {
      if (total !== null && total <= AHEAD_ON_ANSWER_BYTES) mayStartNext();
    },
    onRedirectReported: (url) => deps.log('info', `file ${index} now comes from ${url} (redirect reported)`),
    log: (level, message) => deps.log(level, `file ${index}: ${message}`),
  };
  const running: Running = { index, nextMayStart, done: transferFile(host), settled: false, stop: () => stopping.abort() };
  // Observed here, so a file stopped while running ahead is never an unhandled rejection; callers still see it.
  const settle = () => {
    running.settled = true;
    deps.signal.removeEventListener('abort', forward);
  };
  running.done.then(settle, settle);
  return running;
}

function nextToTransfer(job: JobRecord, from: number): number | undefined {
  for (let index = from; index < job.files.length; index++) if (!job.files[index].transferred) return index;
  return undefined;
}

function failureOf(err: unknown, index: number, signal: AbortSignal): Error {
  if (err instanceof TransferStopped || signal.aborted) return new TransferStopped();
  const bits =
    err instanceof BitsError
      ? err
      : new BitsError(Codes.E_FAIL, `Unexpected failure: ${(err as Error)?.message ?? String(err)}`, ErrorContext.UNKNOWN, {
          cause: err,
          transient: false,
        });
  return new FileFailure(bits, index);
}
