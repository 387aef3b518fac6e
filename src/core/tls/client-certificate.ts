// A job's client certificate (BITS SetClientCertificate): its spec checked, its material read (from files or a
// secret store) and loaded into the TLS options of the job's connections. Loading is also the check done when
// the certificate is set, so a missing file, a wrong passphrase or a key that does not match is named at once,
// not as a refused handshake later. The record keeps paths and a description only: the passphrase and any
// secret-stored material never enter the job store, a log line or an error message.
import { X509Certificate } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { BitsError, Codes, ErrorContext } from '../errors';
import type { ClientCertificateRecord, ClientCertificateSpec } from '../model/job';

/** What a secret store holds for a job's client certificate. */
export interface ClientCertificateSecret {
  passphrase?: string;
  /** PEM certificate (chain) and key, for source 'secret' and format 'pem'. */
  cert?: string;
  key?: string;
  /** base64 of the PKCS#12 bytes, for source 'secret' and format 'pkcs12'. */
  pfx?: string;
}

/** The fields of tls.connect a client certificate fills (GatedRequestOptions passes them to the handshake). */
export interface ClientTlsOptions {
  cert?: string;
  key?: string;
  pfx?: Buffer;
  passphrase?: string;
}

export interface LoadedClientCertificate {
  tls: ClientTlsOptions;
  record: ClientCertificateRecord;
}

/** The secret-store part of a spec is needed: secret-kept material, or a passphrase. */
export function needsSecret(spec: ClientCertificateSpec): boolean {
  return spec.source === 'secret' || spec.passphrase;
}

/** Paths and descriptions above this length, or with control characters, are not what setClientCertificate records. */
const MAX_TEXT = 4096;

const invalid = (message: string) => new BitsError(Codes.E_INVALIDARG, message, ErrorContext.GENERAL_QUEUE_MANAGER);

/** Checks the shape of a spec (from the API, the CLI, a forwarded command or the store); returns a clean copy. */
export function checkClientCertificateSpec(value: unknown): ClientCertificateSpec {
  if (typeof value !== 'object' || value === null) throw invalid('A client certificate needs { format, source, ... }.');
  const v = value as Record<string, unknown>;
  if (v.format !== 'pem' && v.format !== 'pkcs12')
    throw invalid(`A client certificate's format is "pem" or "pkcs12" (got ${JSON.stringify(v.format)}).`);
  if (v.source !== 'file' && v.source !== 'secret')
    throw invalid(`A client certificate's source is "file" or "secret" (got ${JSON.stringify(v.source)}).`);
  if (typeof v.passphrase !== 'boolean')
    throw invalid("A client certificate's passphrase field is a boolean (whether one is kept in the secret store).");
  const spec: ClientCertificateSpec = { format: v.format, source: v.source, passphrase: v.passphrase };
  const file = (name: 'certFile' | 'keyFile' | 'pfxFile', required: boolean) => {
    const p = v[name];
    if (p === undefined && !required) return;
    if (typeof p !== 'string' || !path.isAbsolute(p) || p.length > MAX_TEXT || /\p{Cc}/u.test(p))
      throw invalid(`The client certificate's ${name} must be an absolute path (got ${JSON.stringify(p)?.slice(0, 200)}).`);
    spec[name] = p;
  };
  if (spec.source === 'file') {
    if (spec.format === 'pem') {
      file('certFile', true);
      file('keyFile', false);
    } else file('pfxFile', true);
  }
  const stray = (['certFile', 'keyFile', 'pfxFile'] as const).filter((k) => v[k] !== undefined && spec[k] === undefined);
  if (stray.length > 0)
    throw invalid(
      `A ${spec.format} client certificate from ${spec.source === 'file' ? 'files' : 'the secret store'} takes no ${stray.join(' or ')}.`,
    );
  return spec;
}

/** Checks a stored record: a spec plus the description read when it was set. */
export function checkClientCertificateRecord(value: unknown): ClientCertificateRecord {
  const spec = checkClientCertificateSpec(value);
  const v = value as Record<string, unknown>;
  const isText = (t: unknown): t is string => typeof t === 'string' && t.length <= MAX_TEXT && !/\p{Cc}/u.test(t);
  if (!isText(v.subject) || !isText(v.sha1Thumbprint) || !isText(v.notAfter))
    throw invalid('The client certificate lacks its subject, thumbprint or expiry.');
  return { ...spec, subject: v.subject, sha1Thumbprint: v.sha1Thumbprint, notAfter: v.notAfter };
}

async function readFile(file: string, what: string): Promise<Buffer> {
  try {
    return await fs.readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new BitsError(
        Codes.E_FILE_NOT_FOUND,
        `The ${what} file ${file} does not exist. Give the path of an existing file, or set the client certificate again.`,
        ErrorContext.LOCAL_FILE,
        { transient: false },
      );
    if (code === 'EACCES' || code === 'EPERM')
      throw new BitsError(
        Codes.E_ACCESSDENIED,
        `The ${what} file ${file} cannot be read (permission denied). Fix its permissions, or choose another file.`,
        ErrorContext.LOCAL_FILE,
        { transient: false },
      );
    if (code === 'EISDIR')
      throw new BitsError(Codes.E_INVALIDARG, `${file} is a folder; the ${what} must be a file.`, ErrorContext.LOCAL_FILE, {
        transient: false,
      });
    throw new BitsError(
      Codes.E_FAIL,
      `The ${what} file ${file} could not be read (${code ?? (err as Error).message}).`,
      ErrorContext.LOCAL_FILE,
      { transient: false },
    );
  }
}

const PEM_CERT = '-----BEGIN CERTIFICATE-----';
const PEM_KEY = /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/;

function fail(code: number, message: string, context: ErrorContext): BitsError {
  return new BitsError(code, message, context, { transient: false });
}

/** The TLS material of a spec, read from its files or from the secret. */
async function material(
  spec: ClientCertificateSpec,
  secret: ClientCertificateSecret | undefined,
  context: ErrorContext,
): Promise<{ tls: ClientTlsOptions; from: string; keyFrom: string }> {
  let passphrase: string | undefined;
  if (spec.passphrase) {
    passphrase = secret?.passphrase;
    if (passphrase === undefined) {
      throw fail(
        Codes.E_INVALID_PASSWORD,
        "The client certificate's passphrase is not available (it is kept in the secret store, which has none for this job). Set the client certificate again with its passphrase (the CLI: --client-cert-passphrase-env NAME).",
        context,
      );
    }
  }
  if (spec.source === 'file') {
    if (spec.format === 'pkcs12')
      return { tls: { pfx: await readFile(spec.pfxFile!, 'PKCS#12'), passphrase }, from: spec.pfxFile!, keyFrom: spec.pfxFile! };
    const cert = (await readFile(spec.certFile!, 'client certificate')).toString('utf8');
    const key = spec.keyFile ? (await readFile(spec.keyFile, 'private key')).toString('utf8') : cert;
    return { tls: { cert, key, passphrase }, from: spec.certFile!, keyFrom: spec.keyFile ?? spec.certFile! };
  }
  const missing = () =>
    fail(
      Codes.CRYPT_E_NOT_FOUND,
      'The client certificate is kept in the secret store, which has none for this job. Set the client certificate again.',
      context,
    );
  if (spec.format === 'pkcs12') {
    if (!secret?.pfx) throw missing();
    return {
      tls: { pfx: Buffer.from(secret.pfx, 'base64'), passphrase },
      from: 'the PKCS#12 data in the secret store',
      keyFrom: 'the PKCS#12 data in the secret store',
    };
  }
  if (!secret?.cert) throw missing();
  return {
    tls: { cert: secret.cert, key: secret.key ?? secret.cert, passphrase },
    from: 'the PEM certificate in the secret store',
    keyFrom: 'the PEM key in the secret store',
  };
}

/**
 * Reads and loads the client certificate the way the TLS handshake will: a BitsError naming the problem (never
 * the passphrase) when it cannot be used. `context`: GENERAL_QUEUE_MANAGER when setting, GENERAL_TRANSPORT in a transfer.
 */
export async function loadClientCertificate(
  spec: ClientCertificateSpec,
  secret: ClientCertificateSecret | undefined,
  context: ErrorContext = ErrorContext.GENERAL_QUEUE_MANAGER,
): Promise<LoadedClientCertificate> {
  const { tls: options, from, keyFrom } = await material(spec, secret, context);
  if (spec.format === 'pem') {
    if (!options.cert!.includes(PEM_CERT)) {
      throw fail(
        Codes.E_INVALIDARG,
        `${from} holds no PEM certificate (a "${PEM_CERT}" block). A .pfx or .p12 file is PKCS#12: choose that format instead.`,
        context,
      );
    }
    if (!PEM_KEY.test(options.key!)) {
      throw fail(
        Codes.ERROR_WINHTTP_CLIENT_CERT_NO_PRIVATE_KEY,
        `${keyFrom} holds no PEM private key. Give the key file too (the CLI: --client-key FILE).`,
        context,
      );
    }
  }
  let context_: tls.SecureContext;
  try {
    context_ = tls.createSecureContext(options);
  } catch (err) {
    throw explainLoadFailure(err, spec, from, keyFrom, context);
  }
  const der = certificateDer(context_, options);
  if (!der) throw fail(Codes.CRYPT_E_NOT_FOUND, `${from} holds no certificate.`, context);
  const x509 = new X509Certificate(der);
  const { certFile, keyFile, pfxFile } = spec;
  return {
    tls: options,
    record: {
      format: spec.format,
      source: spec.source,
      ...(certFile ? { certFile } : {}),
      ...(keyFile ? { keyFile } : {}),
      ...(pfxFile ? { pfxFile } : {}),
      passphrase: spec.passphrase,
      subject: x509.subject.replace(/\n/g, ', '),
      sha1Thumbprint: x509.fingerprint,
      notAfter: new Date(x509.validTo).toISOString(),
    },
  };
}

/** The leaf certificate the context will present: the context's own (it knows which one a PKCS#12 holds). */
function certificateDer(context: tls.SecureContext, options: ClientTlsOptions): Buffer | undefined {
  const fromContext = (context.context as { getCertificate?: () => Buffer | null }).getCertificate?.();
  if (fromContext) return fromContext;
  if (options.cert) return new X509Certificate(options.cert).raw;
  return undefined;
}

function explainLoadFailure(err: unknown, spec: ClientCertificateSpec, from: string, keyFrom: string, context: ErrorContext): BitsError {
  const code = (err as { code?: string }).code ?? '';
  const detail = (err as Error).message ?? String(err);
  if (code === 'ERR_OSSL_X509_KEY_VALUES_MISMATCH' || /key values mismatch/.test(detail)) {
    return fail(
      Codes.ERROR_WINHTTP_CLIENT_CERT_NO_PRIVATE_KEY,
      `The private key in ${keyFrom} does not match the certificate in ${from}. Give the key that belongs to this certificate.`,
      context,
    );
  }
  if (/bad decrypt|mac verify failure|bad password|wrong password|interrupted or cancelled/i.test(detail)) {
    const what = spec.format === 'pkcs12' ? `The PKCS#12 data in ${from}` : `The private key in ${keyFrom}`;
    return fail(
      Codes.E_INVALID_PASSWORD,
      spec.passphrase
        ? `${what} could not be opened with the passphrase given: the passphrase is wrong. Set the client certificate again with the right one.`
        : `${what} is protected by a passphrase, and none was given. Set the client certificate again with its passphrase.`,
      context,
    );
  }
  if (spec.format === 'pkcs12')
    return fail(Codes.E_INVALIDARG, `${from} is not a PKCS#12 (.pfx, .p12) file that can be read (${detail.trim()}).`, context);
  return fail(Codes.E_INVALIDARG, `The client certificate in ${from} could not be loaded (${detail.trim()}).`, context);
}

// ---- the server's side: TLS alerts about our certificate ----

/** Alerts a server sends about the client's certificate (OpenSSL's error codes for them, as Node reports them). */
const REQUIRED_ALERT = 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED';
const HANDSHAKE_FAILURE = 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE';
const REFUSED_ALERTS: Record<string, string> = {
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'unknown CA: the server does not trust its issuer',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'bad certificate',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED: 'certificate expired',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED: 'certificate revoked',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN: 'certificate unknown',
  ERR_SSL_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE: 'unsupported certificate',
  ERR_SSL_TLSV1_ALERT_ACCESS_DENIED: 'access denied',
};

function alertCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; current && depth < 8; depth++) {
    const code = (current as { code?: unknown }).code;
    // OpenSSL 3.2+ (Node 24) spells the SSLv3-era alerts 'SSL/TLS alert ...'.
    if (typeof code === 'string' && code.startsWith('ERR_SSL_')) return code.replace('ERR_SSL_SSL/TLS_ALERT_', 'ERR_SSL_SSLV3_ALERT_');
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * A server's refusal of the job's client certificate (or of its absence) as ERROR_WINHTTP_CLIENT_AUTH_CERT_NEEDED,
 * final: retrying with the same certificate cannot help. Undefined for any other failure. It looks through the
 * handshake's own BitsError (src/core/net/tls-handshake.ts) to the alert, because only here is it known whether
 * the job has a certificate: a TLS 1.2 'handshake failure' is how a server that requires one answers a job
 * without, and a cipher mismatch (the handshake's reading) for a job that has one.
 */
export function clientCertificateFailure(
  err: unknown,
  where: string,
  certificate: ClientCertificateRecord | undefined,
): BitsError | undefined {
  const code = alertCode(err);
  if (!code) return undefined;
  const make = (message: string) =>
    new BitsError(Codes.ERROR_WINHTTP_CLIENT_AUTH_CERT_NEEDED, message, ErrorContext.GENERAL_TRANSPORT, { cause: err, transient: false });
  if (!certificate) {
    if (code === REQUIRED_ALERT)
      return make(
        `The server ${where} requires a client certificate (TLS alert "certificate required"), and this job has none. Set one (Managed Downloads: Set Client Certificate; the CLI: --client-cert or --client-pfx), then resume the job.`,
      );
    if (code === HANDSHAKE_FAILURE) {
      return make(
        `The server ${where} ended the TLS handshake with the alert "handshake failure", and this job has no client certificate: that is how a server that requires one answers over TLS 1.2. Set one (Managed Downloads: Set Client Certificate; the CLI: --client-cert or --client-pfx), then resume the job. (If the server requires none, it and this client share no cipher or TLS parameters.)`,
      );
    }
    return undefined;
  }
  const reason = code === REQUIRED_ALERT ? 'certificate required' : REFUSED_ALERTS[code];
  if (!reason) return undefined;
  return make(
    `The server ${where} refused the job's client certificate (${certificate.subject}, SHA-1 ${certificate.sha1Thumbprint}): TLS alert "${reason}". Set a certificate this server accepts, then resume the job.`,
  );
}
