// The agent every request of a job goes through. Its createConnection answers only after the connection
// is ready for the request: through the proxy when one applies (a CONNECT tunnel for https), the TLS
// handshake with the origin, then both certificate phases. Until then the request has no socket, so not
// one request byte can reach a server whose certificate was not accepted (DESIGN.md 3.8).
import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import type { SecureContextOptions } from 'node:tls';

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

export class GatedAgent extends http.Agent {
  /** Sockets accepted under a validator, trust or proxy that has since changed: not reused. */
  private readonly stale = new WeakSet<object>();

  constructor(
    private readonly opener: ConnectionOpener,
    readonly jobId: string,
    readonly secure: boolean,
    options: http.AgentOptions = {},
  ) {
    super({ keepAlive: true, keepAliveMsecs: 15_000, scheduling: 'lifo', ...options });
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

  /** Closes idle pooled sockets now and retires busy ones when their response ends. */
  retireConnections(): void {
    for (const list of Object.values(this.freeSockets)) for (const socket of list ?? []) socket.destroy();
    for (const list of Object.values(this.sockets)) for (const socket of list ?? []) this.stale.add(socket);
  }

  /** Idle pooled sockets that can still carry a request (for tests and the UI). */
  get idleSocketCount(): number {
    return Object.values(this.freeSockets).reduce((n, list) => n + (list ?? []).filter((s) => !s.destroyed).length, 0);
  }
}
