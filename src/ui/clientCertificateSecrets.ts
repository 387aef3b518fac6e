// The secret part of a job's client certificate (its passphrase, and the PEM or PKCS#12 itself when the user
// chose to keep it there) in VS Code's SecretStorage, one entry per job, never in the job store. The engine asks
// for it through its clientCertificateSecrets option, only for a job whose certificate needs it. Not cached: the
// window that runs the jobs may not be the one that set it (SecretStorage is shared by the windows), so each read
// sees the latest write of any window. Every call has a time limit (secretStorageCalls.ts).
import type * as vscode from 'vscode';
import { BitsError, Codes } from '../core/errors';
import { isFinal } from './jobActions';
import { secretCall, SECRET_STORAGE_TIME_LIMIT_MS } from './secretStorageCalls';
import type { ClientCertificateSpec, DownloadEngine, JobSnapshot } from '../core/model/job';
import {
  checkClientCertificateSpec,
  loadClientCertificate,
  needsSecret,
  type ClientCertificateSecret,
} from '../core/tls/client-certificate';

const KEY_PREFIX = 'managedDownloads.clientCertificate/';

export class ClientCertificateSecrets {
  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly timeLimitMs = SECRET_STORAGE_TIME_LIMIT_MS,
  ) {}

  async get(jobId: string): Promise<ClientCertificateSecret | undefined> {
    const text = await secretCall(
      this.secrets.get(KEY_PREFIX + jobId),
      `reading the client certificate secret of job ${jobId} (no connection is made without it)`,
      this.timeLimitMs,
    );
    if (!text) return undefined;
    try {
      return JSON.parse(text) as ClientCertificateSecret;
    } catch {
      return undefined;
    }
  }

  async set(jobId: string, secret: ClientCertificateSecret | undefined): Promise<void> {
    const doing = `keeping the client certificate secret of job ${jobId}`;
    if (secret && Object.keys(secret).length > 0)
      await secretCall(this.secrets.store(KEY_PREFIX + jobId, JSON.stringify(secret)), doing, this.timeLimitMs);
    else await secretCall(this.secrets.delete(KEY_PREFIX + jobId), doing, this.timeLimitMs);
  }

  forget(jobId: string): Promise<void> {
    return secretCall(
      this.secrets.delete(KEY_PREFIX + jobId),
      `forgetting the client certificate secret of job ${jobId}`,
      this.timeLimitMs,
    );
  }
}

/**
 * Sets a job's client certificate: checked here first (so a wrong passphrase changes nothing), its secret stored,
 * then recorded by the engine; if the engine refuses (the job is finished, say), the previous secret is put back.
 * `spec` undefined removes the certificate and its secret.
 */
export async function applyClientCertificate(
  engine: DownloadEngine,
  secrets: ClientCertificateSecrets,
  jobId: string,
  spec: ClientCertificateSpec | undefined,
  secret: ClientCertificateSecret | undefined,
): Promise<JobSnapshot> {
  if (!engine.setClientCertificate) throw new BitsError(Codes.E_FAIL, 'Client certificates are not available with this engine.');
  if (!spec) {
    const job = await engine.setClientCertificate(jobId, undefined);
    await secrets.forget(jobId);
    return job;
  }
  spec = checkClientCertificateSpec(spec);
  await loadClientCertificate(spec, secret);
  const previous = await secrets.get(jobId);
  await secrets.set(jobId, needsSecret(spec) ? secret : undefined);
  try {
    return await engine.setClientCertificate(jobId, spec);
  } catch (err) {
    await secrets.set(jobId, previous);
    throw err;
  }
}

/** The API's certificate options (src/api.ts ClientCertificateOptions) as a spec and its secret. */
export function specFromApiOptions(options: unknown): { spec: ClientCertificateSpec; secret: ClientCertificateSecret } {
  const invalid = (why: string) =>
    new BitsError(
      Codes.E_INVALIDARG,
      `setClientCertificate needs { certFile, keyFile? }, { pfxFile }, { cert, key? } or { pfx }, each with an optional passphrase: ${why}.`,
    );
  if (typeof options !== 'object' || options === null) throw invalid('no options object');
  const o = options as Record<string, unknown>;
  const kinds = (['certFile', 'pfxFile', 'cert', 'pfx'] as const).filter((k) => o[k] !== undefined);
  if (kinds.length !== 1) throw invalid(kinds.length === 0 ? 'none of them was given' : `${kinds.join(' and ')} were given together`);
  if (o.passphrase !== undefined && typeof o.passphrase !== 'string') throw invalid('passphrase must be a string');
  if (o.keyFile !== undefined && kinds[0] !== 'certFile') throw invalid('keyFile goes with certFile');
  if (o.key !== undefined && kinds[0] !== 'cert') throw invalid('key goes with cert');
  const passphrase = o.passphrase as string | undefined;
  const withPassphrase = passphrase === undefined ? {} : { passphrase };
  const hasPassphrase = passphrase !== undefined;
  switch (kinds[0]) {
    case 'certFile':
      return {
        spec: {
          format: 'pem',
          source: 'file',
          certFile: o.certFile as string,
          ...(o.keyFile === undefined ? {} : { keyFile: o.keyFile as string }),
          passphrase: hasPassphrase,
        },
        secret: withPassphrase,
      };
    case 'pfxFile':
      return {
        spec: { format: 'pkcs12', source: 'file', pfxFile: o.pfxFile as string, passphrase: hasPassphrase },
        secret: withPassphrase,
      };
    case 'cert':
      if (typeof o.cert !== 'string' || (o.key !== undefined && typeof o.key !== 'string')) throw invalid('cert and key are PEM text');
      return {
        spec: { format: 'pem', source: 'secret', passphrase: hasPassphrase },
        secret: { cert: o.cert, ...(o.key === undefined ? {} : { key: o.key as string }), ...withPassphrase },
      };
    case 'pfx':
      if (!(o.pfx instanceof Uint8Array)) throw invalid('pfx is the PKCS#12 bytes (a Uint8Array)');
      return {
        spec: { format: 'pkcs12', source: 'secret', passphrase: hasPassphrase },
        secret: { pfx: Buffer.from(o.pfx).toString('base64'), ...withPassphrase },
      };
  }
}

/** A finished (or removed) job needs its certificate's secrets no more: they leave the secret storage. */
export function forgetFinishedCertificates(engine: DownloadEngine, secrets: ClientCertificateSecrets): { dispose(): void } {
  return engine.onDidChangeJob((e) => {
    // On the transition only: a window that takes over the store replays every job as 'modified'.
    const finished = e.kind === 'state' && isFinal(e.job.state);
    if ((finished || e.kind === 'removed') && e.job.clientCertificate && needsSecret(e.job.clientCertificate))
      void secrets.forget(e.job.id).catch(() => undefined);
  });
}
