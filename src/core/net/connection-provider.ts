// The engine's ConnectionProvider: one pair of gated agents per job (so a job's pooled connections are
// its own and can be closed when its validator changes), the proxy rules, and the certificate gate.
import type * as http from 'node:http';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { BitsError, Codes, ErrorContext } from '../errors';
import type { ConnectionProvider, JobSnapshot } from '../model/job';
import { Disposable, toDisposable } from '../lifecycle';
import type { CertificateService } from '../tls/service';
import type { DirectOpener } from './direct-connections';
import { GatedAgent, type ConnectionOpener, type GatedRequestOptions } from './gated-agent';
import { describeProxy, resolveProxy, type ProxySettings, type ResolvedProxy } from './proxy-settings';
import { tlsHandshake } from './tls-handshake';
import { openTunnel } from './tunnel';

export interface GatedConnectionOptions {
  proxy?: ProxySettings;
  /** The freshest snapshot of a job (the engine's getJob); the one given to agentFor is used otherwise. */
  jobLookup?: (jobId: string) => JobSnapshot | undefined;
  /** Milliseconds to connect and finish the TLS handshake (default 30 s). */
  connectTimeoutMs?: number;
  /**
   * Requests no proxy applies to take the direct path (own HTTP/1.1 on `onread` sockets, bench/FINDINGS.md);
   * default: on, unless MANAGED_DOWNLOADS_HTTP=node asks for Node's ClientRequest (to compare the two).
   */
  directHttp?: boolean;
}

/** The one place the switch is read. */
export function directHttpDefault(): boolean {
  return process.env.MANAGED_DOWNLOADS_HTTP !== 'node';
}

interface JobAgents {
  job: JobSnapshot;
  http?: GatedAgent;
  https?: GatedAgent;
}

/** The direct path's read buffer per connection: one decrypted slice (TLS records are 16 KiB). */
const DIRECT_READ_BYTES = 64 << 10;

function hostOf(options: GatedRequestOptions): string {
  const host = options.hostname ?? options.host ?? 'localhost';
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function portOf(options: GatedRequestOptions, secure: boolean): number {
  return options.port ? Number(options.port) : secure ? 443 : 80;
}

function originUrl(host: string, port: number, secure: boolean): URL {
  return new URL(`${secure ? 'https' : 'http'}://${net.isIPv6(host) ? `[${host}]` : host}:${port}/`);
}

export class GatedConnectionProvider extends Disposable implements ConnectionProvider, ConnectionOpener, DirectOpener {
  private readonly jobs = new Map<string, JobAgents>();
  private proxy: ProxySettings;
  private readonly jobLookup?: (jobId: string) => JobSnapshot | undefined;
  private readonly connectTimeoutMs: number;
  private readonly directHttp: boolean;

  constructor(
    readonly service: CertificateService,
    options: GatedConnectionOptions = {},
  ) {
    super();
    this.proxy = options.proxy ?? {};
    this.jobLookup = options.jobLookup;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 30_000;
    this.directHttp = options.directHttp ?? directHttpDefault();
    // Registered first, so released last: the listener goes before the agents are destroyed.
    this._register(toDisposable(() => [...this.jobs.keys()].forEach((id) => this.forgetJob(id))));
    this._register(service.onDidResetConnections((e) => e.jobIds.forEach((id) => this.closeJobConnections(id))));
  }

  /** New proxy settings apply to new connections; pooled ones (which may go through the old proxy) are closed. */
  setProxySettings(settings: ProxySettings): void {
    this.proxy = settings;
    for (const id of this.jobs.keys()) this.closeJobConnections(id);
  }

  agentFor(job: JobSnapshot, protocol: 'http:' | 'https:'): http.Agent {
    let entry = this.jobs.get(job.id);
    if (!entry) this.jobs.set(job.id, (entry = { job }));
    else {
      // Connections vetted under other security flags or another validator source must not be reused.
      if (entry.job.securityFlags !== job.securityFlags || entry.job.validator !== job.validator) this.closeJobConnections(job.id);
      entry.job = job;
    }
    const secure = protocol === 'https:';
    const key = secure ? 'https' : 'http';
    return (entry[key] ??= new GatedAgent(this, job.id, secure, {}, this.directHttp ? this : undefined));
  }

  closeJobConnections(jobId: string): void {
    const entry = this.jobs.get(jobId);
    entry?.http?.retireConnections();
    entry?.https?.retireConnections();
  }

  /** The job is gone: close and forget its agents. */
  forgetJob(jobId: string): void {
    const entry = this.jobs.get(jobId);
    entry?.http?.destroy();
    entry?.https?.destroy();
    this.jobs.delete(jobId);
  }

  private jobOf(agent: Pick<GatedAgent, 'jobId'>): JobSnapshot {
    const fresh = this.jobLookup?.(agent.jobId);
    const job = fresh ?? this.jobs.get(agent.jobId)?.job;
    if (!job)
      throw new BitsError(Codes.BG_E_NOT_FOUND, `No job ${agent.jobId} for this connection.`, ErrorContext.GENERAL_TRANSPORT, {
        transient: false,
      });
    return job;
  }

  private proxyFor(host: string, port: number, secure: boolean): ResolvedProxy | undefined {
    return resolveProxy(originUrl(host, port, secure), this.proxy);
  }

  prepareRequest(agent: GatedAgent, req: http.ClientRequest, options: GatedRequestOptions): void {
    if (agent.secure) return; // https goes through a tunnel: the request itself is unchanged
    let proxy: ResolvedProxy | undefined;
    try {
      proxy = this.proxyFor(hostOf(options), portOf(options, false), false);
    } catch {
      return; // a bad proxy setting fails in open(), through the request's error event
    }
    if (!proxy) return;
    const origin = originUrl(hostOf(options), portOf(options, false), false);
    req.path = `${origin.protocol}//${origin.host}${req.path}`; // absolute-form, as a proxy expects
    if (proxy.authorization) req.setHeader('Proxy-Authorization', proxy.authorization);
  }

  async open(agent: GatedAgent, options: GatedRequestOptions): Promise<Duplex> {
    const host = hostOf(options);
    const port = portOf(options, agent.secure);
    const job = this.jobOf(agent);
    const proxy = this.proxyFor(host, port, agent.secure);
    if (!agent.secure)
      return proxy
        ? this.connectPlain(proxy.url.hostname, Number(proxy.url.port || (proxy.url.protocol === 'https:' ? 443 : 80)), proxy)
        : this.connectPlain(host, port);
    const tunnel = proxy ? await openTunnel(proxy, host, port, this.connectTimeoutMs) : undefined;
    return this.vetted(await this.handshake(host, port, tunnel, options), job, options, host, port);
  }

  /**
   * Both certificate phases on a socket just through its handshake. It has no reader until it is handed over, and
   * the vet can take a while (a workspace validator, a revocation fetch): an error meanwhile (the server resets the
   * connection) is held here, where with no listener it would be thrown out of the process. A socket that died
   * during the vet is refused.
   */
  private async vetted(
    socket: tls.TLSSocket,
    job: JobSnapshot,
    options: GatedRequestOptions,
    host: string,
    port: number,
  ): Promise<tls.TLSSocket> {
    let failed: Error | undefined;
    const onError = (e: Error) => (failed ??= e);
    socket.on('error', onError);
    try {
      await this.service.vet(socket, { job, fileIndex: options.mdFileIndex, host, port });
    } catch (e) {
      socket.destroy();
      throw e;
    } finally {
      socket.off('error', onError);
    }
    if (socket.destroyed) throw failed ?? Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    return socket;
  }

  usesProxy(secure: boolean, options: GatedRequestOptions): boolean {
    try {
      return this.proxyFor(hostOf(options), portOf(options, secure), secure) !== undefined;
    } catch {
      return true; // a bad proxy setting: the ClientRequest path reports it, as before
    }
  }

  /** The direct path's connection: no proxy applies; the same handshake and gate as open(), reading through `onread`. */
  async openDirect(secure: boolean, jobId: string, options: GatedRequestOptions, onread: (slice: Buffer) => void): Promise<net.Socket> {
    const host = hostOf(options);
    const port = portOf(options, secure);
    const job = this.jobOf({ jobId });
    const read = {
      buffer: Buffer.allocUnsafe(DIRECT_READ_BYTES),
      callback: (n: number, buffer: Buffer) => {
        onread(buffer.subarray(0, n));
        return true;
      },
    };
    if (!secure) return (await this.connectPlain(host, port, undefined, read)) as net.Socket;
    return this.vetted(await this.handshake(host, port, undefined, options, read), job, options, host, port);
  }

  private connectPlain(host: string, port: number, proxy?: ResolvedProxy, onread?: net.OnReadOpts): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const secureProxy = proxy?.url.protocol === 'https:';
      const bare = host.replace(/^\[|\]$/g, '');
      const socket = secureProxy
        ? tls.connect({ host: bare, port, servername: net.isIP(bare) ? undefined : bare, rejectUnauthorized: proxy?.strictSSL ?? true })
        : net.connect({ host: bare, port, ...(onread ? { onread } : {}) });
      const timer = setTimeout(
        () =>
          socket.destroy(
            new BitsError(
              Codes.ERROR_WINHTTP_TIMEOUT,
              `No connection to ${host}:${port} within ${this.connectTimeoutMs} ms.`,
              ErrorContext.GENERAL_TRANSPORT,
              { transient: true },
            ),
          ),
        this.connectTimeoutMs,
      );
      socket.once(secureProxy ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.removeListener('error', onError);
        resolve(socket);
      });
      const onError = (e: Error) => {
        clearTimeout(timer);
        reject(
          proxy && !(e instanceof BitsError)
            ? new BitsError(
                Codes.BG_E_CONNECT_FAILURE,
                `Could not connect to the proxy ${describeProxy(proxy.url)}: ${e.message}.`,
                ErrorContext.GENERAL_TRANSPORT,
                { transient: true, cause: e },
              )
            : e,
        );
      };
      socket.once('error', onError);
    });
  }

  /** TLS with the origin; the certificate is decided by the gate, from OpenSSL's verdict. */
  private handshake(
    host: string,
    port: number,
    tunnel: net.Socket | undefined,
    options: GatedRequestOptions,
    onread?: net.OnReadOpts,
  ): Promise<tls.TLSSocket> {
    const client =
      options.cert || options.key || options.pfx
        ? { cert: options.cert, key: options.key, pfx: options.pfx, passphrase: options.passphrase }
        : undefined;
    return tlsHandshake({
      host,
      port,
      socket: tunnel,
      servername: options.servername,
      trust: this.service.trust(),
      timeoutMs: this.connectTimeoutMs,
      client,
      signal: options.mdSignal,
      onread,
    });
  }
}
