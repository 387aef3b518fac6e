// One file's transfer: continue from the bytes in its temp file with Range + If-Range, follow redirects per the
// job's policy, restart from zero when the server cannot continue or the remote changed, stream the body to
// disk, and check the sha256 before the file counts as transferred.
import type { Hash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type * as http from 'node:http';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BitsError, Codes, ErrorContext } from '../errors';
import { SecurityFlags, type FileRecord } from '../jobs/model';
import { parseRetryAfter } from '../jobs/retry';
import { sendGet, type GetResponse } from './http-client';
import { localFileError, networkError } from './network-errors';
import { followRedirect, headersForHop, isRedirectStatus, redirectPolicy } from './redirects';
import { planResponse } from './response';
import { displayUrl } from '../util/url';
import { hashPrefix, sizeOf, TempFileSink } from './temp-file';
import { IdleWatchdog, type IdleLimit } from './watchdog';

export const USER_AGENT = 'managed-downloads/0.1';

/** What the engine gives a transfer: the live file record, the job's settings, and places to report to. */
export interface TransferHost {
  jobId: string;
  fileIndex: number;
  /** Updated in place: bytes, size, validators, finalUrl, transferred. */
  file: FileRecord;
  securityFlags: number;
  writeOnlyHeaderNames: readonly string[];
  signal: AbortSignal;
  /** Custom headers (including write-only values), fetched per file so a changed value applies. */
  headers(): Promise<Record<string, string>>;
  agentFor(protocol: 'http:' | 'https:'): http.Agent;
  /** How long the connection may stay silent, from the last activity (stall limit or the no-progress window). */
  idleLimit(lastActivity: number): IdleLimit;
  /** The file record changed (validators, size): store it soon. */
  save(): void;
  /** The server answered with a body we accept: the job is TRANSFERRING. */
  onResponding(): void;
  onBytes(bytes: number): void;
  onRedirectReported(url: string): void;
  log(level: 'debug' | 'info' | 'warn', message: string): void;
}

/** Thrown when the engine stopped the transfer (suspend, cancel, preempt, dispose); not an error of the job. */
export class TransferStopped extends Error {
  constructor() {
    super('transfer stopped');
  }
}

const retryAfterHints = new WeakMap<BitsError, number>();

/** Seconds the server asked to wait (Retry-After) along with this error, when it did. */
export function retryAfterOf(error: BitsError): number | undefined {
  return retryAfterHints.get(error);
}

/** A single file may be asked for again without a range this many times in one attempt before it is an error. */
const MAX_REFETCHES = 3;

export async function transferFile(host: TransferHost): Promise<void> {
  const file = host.file;
  const temp = file.tempPath;
  await local(temp, () => fs.mkdir(path.dirname(temp), { recursive: true }));
  // The temp file is the truth about what was received (the record may lag it by a coalesced write).
  let offset = await local(temp, () => sizeOf(temp));
  if (file.bytesTotal !== null && offset > file.bytesTotal) {
    host.log('warn', `temp file ${temp} is longer than the remote file; starting it again`);
    offset = await truncate(temp);
  }
  if (offset > 0 && file.etag === undefined && file.lastModified === undefined && file.bytesTotal === null) {
    // Bytes whose origin the record cannot vouch for (the process died before their first save): start again.
    host.log('info', `temp file ${temp} has bytes but no validators were stored for them; starting it again`);
    offset = await truncate(temp);
  }
  file.bytesTransferred = offset;
  if (file.bytesTotal !== null && offset === file.bytesTotal && (offset > 0 || file.etag !== undefined)) {
    await finish(host, undefined);
    return;
  }

  let refetches = 0;
  let withoutRange = false;
  for (;;) {
    stopIfAsked(host);
    if (withoutRange && offset > 0) offset = await truncate(temp);
    file.bytesTransferred = offset;
    const response = await open(host, offset);
    const where = displayUrl(response.url);
    const plan = planResponse(response.status, response.headers, { offset, knownTotal: file.bytesTotal, knownEtag: file.etag }, where);
    if (plan.kind !== 'body') response.body.destroy();
    if (plan.kind === 'error') {
      const after = parseRetryAfter(response.headers['retry-after'], Date.now());
      if (after !== undefined) retryAfterHints.set(plan.error, after);
      throw plan.error;
    }
    if (plan.kind === 'refetch') {
      host.log('info', `${where}: ${plan.reason}; requesting the whole file again`);
      if (++refetches > MAX_REFETCHES) {
        throw new BitsError(Codes.BG_E_INVALID_SERVER_RESPONSE, `${where} keeps answering range requests wrongly (${plan.reason}).`, ErrorContext.REMOTE_FILE, {
          transient: true,
        });
      }
      withoutRange = true;
      continue;
    }
    if (plan.kind === 'complete') {
      file.bytesTotal = plan.total;
      await finish(host, undefined);
      return;
    }

    if (plan.restarted) {
      host.log('info', `${where} sent the whole file instead of bytes from ${offset} (range not supported, or the file changed); starting it again`);
      offset = await truncate(temp);
      file.bytesTransferred = 0;
    }
    // A continuation that omits the validators keeps the ones the bytes were fetched under.
    const etag = plan.etag ?? (plan.start > 0 ? file.etag : undefined);
    const lastModified = plan.lastModified ?? (plan.start > 0 ? file.lastModified : undefined);
    const changed = file.etag !== etag || file.lastModified !== lastModified || file.bytesTotal !== plan.total;
    file.etag = etag;
    file.lastModified = lastModified;
    file.bytesTotal = plan.total;
    // No need to wait for this write: a restart truncates before new bytes arrive, so stale stored validators can
    // only make a resume ask with an old If-Range, which the server answers with the whole file (a restart).
    if (changed) host.save();
    host.onResponding();
    const hash = file.sha256 ? await local(temp, () => hashPrefix(temp, offset)) : undefined;
    const written = await receive(host, response.body, offset, hash, where);
    offset += written;
    file.bytesTransferred = offset;
    if (plan.end !== null && offset < plan.end) {
      throw new BitsError(
        Codes.BG_E_CONNECTION_CLOSED,
        `The connection to ${where} closed after ${offset} of ${plan.end} bytes; the bytes received are kept and the transfer continues from there.`,
        ErrorContext.GENERAL_TRANSPORT,
        { transient: true },
      );
    }
    if (file.bytesTotal === null) file.bytesTotal = offset;
    if (offset >= file.bytesTotal) {
      await finish(host, hash);
      return;
    }
    // A 206 that served less than the rest (a server that caps ranges): ask for the next part.
    if (written === 0) {
      throw new BitsError(Codes.BG_E_INVALID_SERVER_RESPONSE, `${where} sent an empty part of the file.`, ErrorContext.REMOTE_FILE, { transient: true });
    }
  }
}

function stopIfAsked(host: TransferHost): void {
  if (host.signal.aborted) throw new TransferStopped();
}

async function local<T>(file: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (err) {
    throw localFileError(err, file);
  }
}

async function truncate(temp: string): Promise<number> {
  await local(temp, () => fs.writeFile(temp, ''));
  return 0;
}

interface Opened extends GetResponse {
  url: URL;
}

/** The GET for the file from `offset`, following redirects per the job's policy. */
async function open(host: TransferHost, offset: number): Promise<Opened> {
  const file = host.file;
  const original = new URL(file.remoteUrl);
  // BITS updates the remote name when redirects are reported; later requests go there directly.
  let url = redirectPolicy(host.securityFlags) === SecurityFlags.REDIRECT_POLICY_ALLOW_REPORT && file.finalUrl ? new URL(file.finalUrl) : original;
  const custom = await host.headers();
  for (let hops = 0; ; hops++) {
    const hop = headersForHop(custom, original, url, host.writeOnlyHeaderNames);
    const headers: Record<string, string> = {
      // The job's own User-Agent, when it sets one, wins.
      ...(Object.keys(hop).some((name) => name.toLowerCase() === 'user-agent') ? {} : { 'User-Agent': USER_AGENT }),
      ...hop,
      'Accept-Encoding': 'identity',
    };
    if (offset > 0) {
      headers['Range'] = `bytes=${offset}-`;
      // If-Range needs a strong validator; a weak ETag falls back to Last-Modified (and the Content-Range check).
      const strongEtag = file.etag && !file.etag.startsWith('W/') ? file.etag : undefined;
      const ifRange = strongEtag ?? file.lastModified;
      if (ifRange) headers['If-Range'] = ifRange;
    }
    const response = await withWatchdog(host, (signal) =>
      sendGet({ url, headers, agent: host.agentFor(url.protocol as 'http:' | 'https:'), jobId: host.jobId, fileIndex: host.fileIndex, signal }),
    ).catch((err: unknown) => {
      throw translate(host, err, displayUrl(url));
    });
    if (!isRedirectStatus(response.status)) return { ...response, url };
    response.body.destroy();
    const next = followRedirect(url, response.headers['location'], response.status, host.securityFlags, hops);
    host.log('debug', `redirect ${response.status}: ${displayUrl(url)} -> ${displayUrl(next)}`);
    if (redirectPolicy(host.securityFlags) === SecurityFlags.REDIRECT_POLICY_ALLOW_REPORT) {
      file.finalUrl = next.href;
      host.onRedirectReported(next.href);
    }
    url = next;
  }
}

/** Runs `work` with a signal that aborts on the engine's stop and on the idle limit. */
async function withWatchdog<T>(host: TransferHost, work: (signal: AbortSignal, watchdog: IdleWatchdog) => Promise<T>): Promise<T> {
  const watchdog = new IdleWatchdog((last) => host.idleLimit(last));
  try {
    return await work(AbortSignal.any([host.signal, watchdog.signal]), watchdog);
  } catch (err) {
    if (watchdog.signal.aborted && !host.signal.aborted) throw watchdog.signal.reason;
    throw err;
  } finally {
    watchdog.dispose();
  }
}

function translate(host: TransferHost, err: unknown, where: string): unknown {
  if (host.signal.aborted) return new TransferStopped();
  if (err instanceof BitsError) return err;
  return networkError(err, where);
}

/** Streams the body into the temp file from `offset`; returns the bytes written. */
async function receive(host: TransferHost, body: Readable, offset: number, hash: Hash | undefined, where: string): Promise<number> {
  const temp = host.file.tempPath;
  const handle = await local(temp, () => fs.open(temp, offset === 0 ? 'w' : 'r+'));
  let written = 0;
  let sink: TempFileSink | undefined;
  try {
    await withWatchdog(host, async (signal, watchdog) => {
      sink = new TempFileSink(
        handle,
        offset,
        (bytes) => {
          written += bytes;
          host.file.bytesTransferred = offset + written;
          watchdog.kick();
          host.onBytes(bytes);
        },
        hash,
      );
      await pipeline(body, sink, { signal });
    });
  } catch (err) {
    body.destroy();
    if (host.signal.aborted) throw new TransferStopped();
    if (sink?.writeFailure !== undefined) throw localFileError(sink.writeFailure, temp);
    throw translate(host, err, where);
  } finally {
    await handle.close().catch(() => undefined);
  }
  return written;
}

/** The file is whole: check its sha256 (when asked) and mark it transferred. */
async function finish(host: TransferHost, hash: Hash | undefined): Promise<void> {
  const file = host.file;
  if (file.sha256) {
    const actual = (hash ?? (await local(file.tempPath, () => hashPrefix(file.tempPath, file.bytesTransferred)))).digest('hex');
    if (actual !== file.sha256) {
      // The bytes are useless; drop them so a resume fetches the file again instead of re-checking the same bytes.
      await fs.rm(file.tempPath, { force: true });
      file.bytesTransferred = 0;
      file.etag = undefined;
      file.lastModified = undefined;
      throw new BitsError(
        Codes.MD_E_HASH_MISMATCH,
        `The sha256 of ${displayUrl(file.remoteUrl)} is ${actual}, but the job expects ${file.sha256}. The downloaded bytes were discarded; check the expected digest or the server, then resume the job to download again.`,
        ErrorContext.REMOTE_FILE,
        { transient: false },
      );
    }
  }
  file.transferred = true;
}
