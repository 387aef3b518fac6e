// Runs one job's files, one at a time in order (BITS), until all are transferred, the engine stops it, or a file
// fails. The engine decides what a failure means for the job's state.
import type * as http from 'node:http';
import { BitsError, Codes, ErrorContext } from '../errors';
import { closesSettled, transferFile, TransferStopped, type TransferHost } from '../transfer/file-transfer';
import type { BandwidthLimiter } from '../transfer/bandwidth';
import type { SegmentPolicy } from '../transfer/segments';
import type { IdleLimit } from '../transfer/watchdog';
import type { JobRecord } from './model';

export interface RunnerDeps {
  job: JobRecord;
  signal: AbortSignal;
  agentFor(protocol: 'http:' | 'https:'): http.Agent;
  headers(): Promise<Record<string, string>>;
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
export async function runJobFiles(deps: RunnerDeps): Promise<void> {
  try {
    await transferEachFile(deps);
  } finally {
    await closesSettled();
  }
}

async function transferEachFile(deps: RunnerDeps): Promise<void> {
  const { job } = deps;
  // By index, not iterator: files added while the job runs are picked up at the end.
  for (let index = 0; index < job.files.length; index++) {
    if (deps.signal.aborted) throw new TransferStopped();
    const file = job.files[index];
    if (file.transferred) continue;
    const host: TransferHost = {
      jobId: job.id,
      fileIndex: index,
      file,
      securityFlags: job.securityFlags,
      writeOnlyHeaderNames: job.writeOnlyHeaderNames ?? [],
      signal: deps.signal,
      headers: deps.headers,
      agentFor: deps.agentFor,
      idleLimit: deps.idleLimit,
      save: deps.onFileChanged,
      saveNow: deps.saveNow,
      segmentPolicy: deps.segmentPolicy,
      limiter: deps.limiter,
      onResponding: deps.onResponding,
      onBytes: deps.onBytes,
      onRedirectReported: (url) => deps.log('info', `file ${index} now comes from ${url} (redirect reported)`),
      log: (level, message) => deps.log(level, `file ${index}: ${message}`),
    };
    try {
      await transferFile(host);
    } catch (err) {
      if (err instanceof TransferStopped || deps.signal.aborted) throw new TransferStopped();
      const bits =
        err instanceof BitsError
          ? err
          : new BitsError(Codes.E_FAIL, `Unexpected failure: ${(err as Error)?.message ?? String(err)}`, ErrorContext.UNKNOWN, { cause: err, transient: false });
      throw new FileFailure(bits, index);
    }
    if (deps.signal.aborted) throw new TransferStopped();
    deps.onFileTransferred(index);
  }
}
