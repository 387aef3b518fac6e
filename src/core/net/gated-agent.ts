// The agent every request of a job goes through. Its createConnection answers only after the connection
// is ready for the request: through the proxy when one applies (a CONNECT tunnel for https), the TLS
// handshake with the origin, then both certificate phases. Until then the request has no socket, so not
// one request byte can reach a server whose certificate was not accepted (DESIGN.md 3.8).
import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import type { SecureContextOptions } from 'node:tls';
import type { DirectAnswer, DirectGetAgent, DirectRequest } from './direct-body';
import { DirectPool, type DirectOpener } from './direct-connections';

/** The fields of a request's options this agent reads (the engine adds mdJobId and mdFileIndex). */
export interface GatedRequestOptions extends http.ClientRequestArgs, Pick<SecureContextOptions, 'cert' | 'key' | 'pfx' | 'passphrase'> {
  mdJobId?: string;
  mdFileIndex?: number;
  /**
   * The request's own abort signal (the job's idle limit, a suspend): a connection still being made when it
   * fires is given up, so a handshake that never completes holds no socket, and no process, for its own limit.
   */
  mdSignal?: AbortSignal;
  servername?: string;
}

export interface ConnectionOpener {
  open(agent: GatedAgent, options: GatedRequestOptions): Promise<Duplex>;
  /** For plain-http requests through a proxy: rewrite the request to absolute-form and add proxy credentials. */
  prepareRequest(agent: GatedAgent, req: http.ClientRequest, options: GatedRequestOptions): void;
}

type AgentInternals = {
  addRequest(req: http.ClientRequest, options: GatedRequestOptions): void;
};

export class GatedAgent extends http.Agent implements DirectGetAgent {
  /** Sockets accepted under a validator, trust or proxy that has since changed: not reused. */
  private readonly stale = new WeakSet<object>();
  /** The direct path's connections (gated the same way), for requests no proxy applies to; none when it is off. */
  readonly direct: DirectPool | undefined;

  constructor(
    private readonly opener: ConnectionOpener,
    readonly jobId: string,
    readonly secure: boolean,
    options: http.AgentOptions = {},
    directOpener?: DirectOpener,
  ) {
    super({ keepAlive: true, keepAliveMsecs: 15_000, scheduling: 'lifo', ...options });
    this.direct = directOpener ? new DirectPool(directOpener, jobId, secure) : undefined;
    // ClientRequest checks the agent's protocol against the URL's.
    (this as unknown as { protocol: string }).protocol = secure ? 'https:' : 'http:';
    (this as unknown as { defaultPort: number }).defaultPort = secure ? 443 : 80;
  }

  override createConnection(
    options: http.ClientRequestArgs,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    this.opener.open(this, options as GatedRequestOptions).then(
      (socket) => callback?.(null, socket),
      (err: Error) => callback?.(err, undefined as unknown as Duplex),
    );
    return undefined;
  }

  addRequest(req: http.ClientRequest, options: GatedRequestOptions): void {
    this.opener.prepareRequest(this, req, options);
    (http.Agent.prototype as unknown as AgentInternals).addRequest.call(this, req, options);
  }

  override keepSocketAlive(socket: Duplex): boolean {
    if (this.stale.has(socket)) return false;
    return (http.Agent.prototype.keepSocketAlive as unknown as (s: Duplex) => boolean).call(this, socket);
  }

  directGet(request: DirectRequest): Promise<DirectAnswer> | undefined {
    return this.direct?.get(request);
  }

  /** Closes idle pooled sockets now and retires busy ones when their response ends. */
  retireConnections(): void {
    for (const list of Object.values(this.freeSockets)) for (const socket of list ?? []) socket.destroy();
    for (const list of Object.values(this.sockets)) for (const socket of list ?? []) this.stale.add(socket);
    this.direct?.retire();
  }

  override destroy(): void {
    super.destroy();
    this.direct?.destroy();
  }

  /** Idle pooled sockets that can still carry a request, on either path (for tests and the UI). */
  get idleSocketCount(): number {
    const agents = Object.values(this.freeSockets).reduce((n, list) => n + (list ?? []).filter((s) => !s.destroyed).length, 0);
    return agents + (this.direct?.idleCount ?? 0);
  }
}
