// Client certificates on the command line: --client-cert FILE [--client-key FILE] (PEM) or --client-pfx FILE
// (PKCS#12). The passphrase never comes from the command line (the process list shows it to every user): it is
// read from the environment variable --client-cert-passphrase-env names (default MANAGED_DOWNLOADS_CLIENT_CERT_PASSPHRASE),
// or asked on the terminal, without echo, when the certificate needs one. The job records the paths only; a later
// `run` or `resume` needs the passphrase again, as write-only headers need their values.
import { BitsError, Codes } from '../core/errors';
import type { ClientCertificateSpec } from '../core/model/job';
import { loadClientCertificate } from '../core/tls/client-certificate';
import type { CliIO } from './outcome';
import { UsageError } from './usage';

export const PASSPHRASE_ENV = 'MANAGED_DOWNLOADS_CLIENT_CERT_PASSPHRASE';

export interface ClientCertificateArgs {
  certFile?: string;
  keyFile?: string;
  pfxFile?: string;
}

/** The spec the options name (paths already absolute), or undefined when none was given. */
export function specFromArgs(args: ClientCertificateArgs): Omit<ClientCertificateSpec, 'passphrase'> | undefined {
  if (args.keyFile && !args.certFile) throw new UsageError('--client-key needs --client-cert (the certificate the key belongs to).');
  if (args.pfxFile && (args.certFile || args.keyFile))
    throw new UsageError('Give either --client-pfx FILE (PKCS#12) or --client-cert FILE [--client-key FILE] (PEM), not both.');
  if (args.pfxFile) return { format: 'pkcs12', source: 'file', pfxFile: args.pfxFile };
  if (args.certFile) return { format: 'pem', source: 'file', certFile: args.certFile, ...(args.keyFile ? { keyFile: args.keyFile } : {}) };
  return undefined;
}

/** The passphrase in the environment variable `name` names (or the default one); undefined when it is not set. */
export function passphraseFromEnv(name: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[name ?? PASSPHRASE_ENV];
  if (name !== undefined && value === undefined)
    throw new UsageError(`--client-cert-passphrase-env names ${name}, which is not set in the environment.`);
  return value;
}

export interface ResolvedClientCertificate {
  spec: ClientCertificateSpec;
  passphrase?: string;
}

/**
 * The options' certificate, checked before any job exists (a wrong passphrase or a mismatched key stops here,
 * nothing is created), with its passphrase from the environment or, on a terminal, a prompt.
 */
export async function resolveClientCertificate(
  args: ClientCertificateArgs,
  passphraseEnv: string | undefined,
  io: CliIO,
  input: NodeJS.ReadStream = process.stdin,
): Promise<ResolvedClientCertificate | undefined> {
  const base = specFromArgs(args);
  if (!base) return undefined;
  let passphrase = passphraseFromEnv(passphraseEnv);
  const tryLoad = (p: string | undefined) =>
    loadClientCertificate({ ...base, passphrase: p !== undefined }, p === undefined ? undefined : { passphrase: p });
  try {
    await tryLoad(passphrase);
  } catch (err) {
    if (!(err instanceof BitsError) || err.code !== Codes.E_INVALID_PASSWORD || passphrase !== undefined) throw err;
    if (!input.isTTY) {
      throw new UsageError(
        `The client certificate is protected by a passphrase. Put it in an environment variable and name it with --client-cert-passphrase-env NAME (default ${PASSPHRASE_ENV}); it is never read from the command line.`,
      );
    }
    passphrase = await promptHidden('Passphrase of the client certificate: ', io, input);
    await tryLoad(passphrase);
  }
  return { spec: { ...base, passphrase: passphrase !== undefined }, ...(passphrase !== undefined ? { passphrase } : {}) };
}

/** Reads one line from the terminal without echoing it. */
function promptHidden(prompt: string, io: CliIO, input: NodeJS.ReadStream): Promise<string> {
  // Echo off before the prompt shows: what is typed as soon as it appears must not be echoed either.
  input.setRawMode?.(true);
  io.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let typed = '';
    input.resume();
    const done = (fn: () => void) => {
      input.setRawMode?.(false);
      input.pause();
      input.removeListener('data', onData);
      io.stderr.write('\n');
      fn();
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(() => resolve(typed));
        if (ch === '\u0003') return done(() => reject(new UsageError('Interrupted while asking for the passphrase.')));
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else typed += ch;
      }
    };
    input.on('data', onData);
  });
}

/** The engine's clientCertificateSecrets for a CLI process: the passphrase this process has, for the jobs that need one. */
export function cliClientCertificateSecrets(passphrase: string | undefined) {
  return () => (passphrase === undefined ? undefined : { passphrase });
}
