// The connection provider used when no certificate gate is plugged in: keep-alive agents with Node's normal
// certificate verification (Node's roots plus NODE_EXTRA_CA_CERTS, or the CAs given here).
import * as http from 'node:http';
import * as https from 'node:https';
import type { ConnectionProvider, JobSnapshot } from '../model/job';

export interface DefaultConnectionsOptions {
  /** Trust exactly these CAs (PEM) instead of Node's roots; for private servers and tests. */
  ca?: string | string[];
  /** Connections per host and protocol. */
  maxSockets?: number;
}

export class DefaultConnections implements ConnectionProvider {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;

  constructor(options: DefaultConnectionsOptions = {}) {
    const common = { keepAlive: true, maxSockets: options.maxSockets ?? 16, scheduling: 'lifo' as const };
    this.httpAgent = new http.Agent(common);
    this.httpsAgent = new https.Agent({ ...common, ca: options.ca });
  }

  agentFor(_job: JobSnapshot, protocol: 'http:' | 'https:'): http.Agent {
    return protocol === 'https:' ? this.httpsAgent : this.httpAgent;
  }

  /** Shared agents hold no per-job state; nothing to forget. */
  closeJobConnections(): void {}

  dispose(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
