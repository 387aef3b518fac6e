// What one run of a job connects with: its agent per protocol and its client certificate, each asked for once per
// run and again only when what it depends on changed (a snapshot or a file read per request would cost per file).
import type { Agent } from 'node:http';
import { ErrorContext } from '../errors';
import type { ConnectionProvider, JobRecord, JobSnapshot } from '../model/job';
import { loadClientCertificate, needsSecret, type ClientCertificateSecret, type ClientTlsOptions } from '../tls/client-certificate';

export class RunConnections {
  private readonly agents = new Map<string, { key: string; agent: Agent }>();
  private clientTls: { key?: string; value?: Promise<ClientTlsOptions | undefined> } = {};

  constructor(
    private readonly job: JobRecord,
    private readonly provider: ConnectionProvider,
    /** The job as the provider sees it (a snapshot), made only when an agent is asked for. */
    private readonly snapshot: () => JobSnapshot,
    private readonly secrets?: (jobId: string) => ClientCertificateSecret | undefined | Promise<ClientCertificateSecret | undefined>,
  ) {}

  /** The job's agent, asked of the provider again only when what vets its connections (security flags, validator) changed. */
  agentFor(protocol: 'http:' | 'https:'): Agent {
    const key = `${this.job.securityFlags}|${this.job.validator}`;
    const known = this.agents.get(protocol);
    if (known?.key === key) return known.agent;
    const agent = this.provider.agentFor(this.snapshot(), protocol);
    this.agents.set(protocol, { key, agent });
    return agent;
  }

  /** The job's client certificate loaded for its connections, read again only after it changed. */
  clientCertificate(): Promise<ClientTlsOptions | undefined> {
    const spec = this.job.clientCertificate;
    const key = JSON.stringify(spec ?? null);
    const cache = this.clientTls;
    if (cache.key !== key || !cache.value) {
      cache.key = key;
      cache.value = spec
        ? (async () => {
            const secret = needsSecret(spec) ? await this.secrets?.(this.job.id) : undefined;
            return (await loadClientCertificate(spec, secret, ErrorContext.GENERAL_TRANSPORT)).tls;
          })()
        : Promise.resolve(undefined);
      // A failure (a file since deleted) is the job's error now, and is read again at the next run or change.
      cache.value.catch(() => (cache.value = undefined));
    }
    return cache.value;
  }
}
