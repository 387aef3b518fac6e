// The pieces every request of a transfer shares: what the engine gives a transfer (the host), the GET with its
// Range, If-Range and redirect policy, the idle watchdog, and the translation of failures into BitsErrors.
import type * as http from 'node:http';
import { BitsError } from '../errors';
import { SecurityFlags, type ClientCertificateRecord, type FileRecord } from '../model/job';
import { clientCertificateFailure, type ClientTlsOptions } from '../tls/client-certificate';
import { displayUrl } from '../util/url';
import type { BandwidthLimiter } from './bandwidth';
import { sendGet, type GetResponse } from './http-client';
import { localFileError, networkError } from './network-errors';
import { followRedirect, headersForHop, isRedirectStatus, redirectPolicy } from './redirects';
import { ifRangeFor } from './response';
import type { SegmentPolicy } from './segments';
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
  /** The job's client certificate as TLS options (read per file, so a changed one applies), when it has one. */
  clientCertificate?(): Promise<ClientTlsOptions | undefined>;
  /** Which client certificate the job has, to name it when a server refuses it. */
  clientCertificateRecord?(): ClientCertificateRecord | undefined;
  agentFor(protocol: 'http:' | 'https:'): http.Agent;
  /** How long the connection may stay silent, from the last activity (stall limit or the no-progress window). */
  idleLimit(lastActivity: number): IdleLimit;
  /** The file record changed (validators, size): store it soon. */
  save(): void;
  /** The server answered with a body we accept: the job is TRANSFERRING. */
  onResponding(): void;
  onBytes(bytes: number): void;
  /** The file's last bytes have arrived (their writes may still be going on): the next file may start asking. */
  onBodyReceived?(): void;
  /** The server answered with the file's bytes (`total`: the file's size, when known), before they arrive. */
  onAnswered?(total: number | null): void;
  onRedirectReported(url: string): void;
  log(level: 'debug' | 'info' | 'warn', message: string): void;
  /** Stores the job now and resolves once it is durable (before bytes that only the record can vouch for). */
  saveNow(): Promise<void>;
  /** When and how to fetch one large file over several Range connections (read per file: settings change). */
  segmentPolicy(): SegmentPolicy;
  /** The shared bandwidth limit, when one is set. */
  limiter?: BandwidthLimiter;
}

/** Thrown when the engine stopped the transfer (suspend, cancel, preempt, dispose); not an error of the job. */
export class TransferStopped extends Error {
  constructor() {
    super('transfer stopped');
  }
}

export function stopIfAsked(host: TransferHost): void {
  if (host.signal.aborted) throw new TransferStopped();
}

export async function local<T>(file: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (err) {
    throw localFileError(err, file);
  }
}

export interface Opened extends GetResponse {
  url: URL;
}

/** The GET for the file from `offset` (to `end`, exclusive, when given), following redirects per the job's policy. */
export async function open(host: TransferHost, offset: number, end?: number): Promise<Opened> {
  const file = host.file;
  const original = new URL(file.remoteUrl);
  // BITS updates the remote name when redirects are reported; later requests go there directly.
  let url =
    redirectPolicy(host.securityFlags) === SecurityFlags.REDIRECT_POLICY_ALLOW_REPORT && file.finalUrl ? new URL(file.finalUrl) : original;
  const custom = await host.headers();
  const clientTls = await host.clientCertificate?.();
  for (let hops = 0; ; hops++) {
    const hop = headersForHop(custom, original, url, host.writeOnlyHeaderNames);
    const headers: Record<string, string> = {
      // The job's own User-Agent, when it sets one, wins.
      ...(Object.keys(hop).some((name) => name.toLowerCase() === 'user-agent') ? {} : { 'User-Agent': USER_AGENT }),
      ...hop,
      'Accept-Encoding': 'identity',
    };
    if (offset > 0 || end !== undefined) {
      // `end` (exclusive) bounds the range of one segment; otherwise everything from `offset`.
      headers['Range'] = `bytes=${offset}-${end === undefined ? '' : end - 1}`;
      // If-Range only with a strong validator; without one the answer's validators are compared (versionMismatch).
      const ifRange = ifRangeFor(file);
      if (ifRange) headers['If-Range'] = ifRange;
    }
    const response = await withWatchdog(host, (signal) =>
      sendGet({
        url,
        headers,
        agent: host.agentFor(url.protocol as 'http:' | 'https:'),
        jobId: host.jobId,
        fileIndex: host.fileIndex,
        signal,
        clientTls,
      }),
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
export async function withWatchdog<T>(host: TransferHost, work: (signal: AbortSignal, watchdog: IdleWatchdog) => Promise<T>): Promise<T> {
  const watchdog = new IdleWatchdog((last) => host.idleLimit(last), host.signal);
  try {
    return await work(watchdog.signal, watchdog);
  } catch (err) {
    if (watchdog.signal.aborted && !host.signal.aborted) throw watchdog.signal.reason;
    throw err;
  } finally {
    watchdog.dispose();
  }
}

export function translate(host: TransferHost, err: unknown, where: string): unknown {
  if (host.signal.aborted) return new TransferStopped();
  // A server's TLS alert about the job's client certificate (or its absence) is named with that certificate, even
  // when the handshake already named the alert; any other failure is as the handshake or the network says.
  return (
    clientCertificateFailure(err, where, host.clientCertificateRecord?.()) ?? (err instanceof BitsError ? err : networkError(err, where))
  );
}
