// The one TLS handshake every HTTPS connection makes (downloads, the dry run, check-cert): OpenSSL verifies
// the chain against the trust store at security level 2, with a 2048-bit floor on DH key exchange, and nothing
// in the options lowers what it refuses. rejectUnauthorized is off only so that the gate can read OpenSSL's
// verdict and name the failed check; the verdict itself is never ignored (src/core/tls/phase1.ts).
import type * as net from 'node:net';
import { isIP } from 'node:net';
import * as tls from 'node:tls';
import { BitsError, Codes, ErrorContext } from '../errors';
import type { TrustStore } from '../tls/trust-store';

export type ClientCertificateOptions = Pick<tls.SecureContextOptions, 'cert' | 'key' | 'pfx' | 'passphrase'>;

export interface HandshakeOptions {
  host: string;
  port: number;
  /** A CONNECT tunnel through a proxy, when one applies. */
  socket?: net.Socket;
  servername?: string;
  trust: TrustStore;
  /** Milliseconds for the TCP connection and the whole handshake. */
  timeoutMs: number;
  client?: ClientCertificateOptions;
  lookup?: net.LookupFunction;
  /** The request this connection is for went away: stop the attempt. */
  signal?: AbortSignal;
  /** Decrypted bytes go to this buffer and callback instead of a stream (the direct data path). */
  onread?: net.OnReadOpts;
}

/** OpenSSL's default since 3.2 (and Debian's system default): 112-bit security, so RSA, DSA and DH of 2048 bits. */
const SECURITY_LEVEL = '@SECLEVEL=2';
export const MIN_DH_BITS = 2048;

/** `ciphers` that keep Node's defaults and raise the security level, where the TLS library knows security levels. */
function strictCiphers(): string | undefined {
  const ciphers = `${tls.DEFAULT_CIPHERS}:${SECURITY_LEVEL}`;
  try {
    tls.createSecureContext({ ciphers });
    return ciphers;
  } catch {
    // BoringSSL (desktop VS Code's Electron) has no security levels; phase 1 checks key sizes itself there too.
    return undefined;
  }
}
let ciphers: string | null | undefined;

const contexts = new WeakMap<TrustStore, tls.SecureContext>();

type NativeContext = { addCACert?(pem: string): void };

/**
 * A secure context that trusts exactly the store: Node's own root store (its bundled roots and
 * NODE_EXTRA_CA_CERTS, parsed once per process) plus the store's other certificates (the system store, extra CA
 * files). Giving every root as `ca` instead parses all of them again for each context: 100-380 ms against
 * 34-56 ms measured here.
 */
function buildContext(trust: TrustStore, client: ClientCertificateOptions | undefined): tls.SecureContext {
  if (ciphers === undefined) ciphers = strictCiphers() ?? null;
  const options = { ...(ciphers ? { ciphers } : {}), ...client };
  const context = trust.includesNodeRoots ? tls.createSecureContext(options) : undefined;
  const native = (context as unknown as { context?: NativeContext } | undefined)?.context;
  if (!context || !native?.addCACert) return tls.createSecureContext({ ca: trust.pems, ...options });
  const nodeRoots = new Set(tls.rootCertificates.map((pem) => pem.trim()));
  for (const pem of trust.pems) if (!nodeRoots.has(pem.trim())) native.addCACert(pem);
  return context;
}

/** The trust store as a secure context, built once per store (and per client certificate, which is rare). */
function contextFor(trust: TrustStore, client: ClientCertificateOptions | undefined): tls.SecureContext {
  if (client && (client.cert || client.key || client.pfx)) return buildContext(trust, client);
  let context = contexts.get(trust);
  if (!context) contexts.set(trust, (context = buildContext(trust, undefined)));
  return context;
}

/** TLS alerts and library errors that say the two sides cannot agree on a safe channel: retrying cannot help. */
const CHANNEL_FAILURES: Record<string, string> = {
  ERR_SSL_UNSUPPORTED_PROTOCOL: 'the server offers only TLS versions older than 1.2',
  ERR_SSL_NO_PROTOCOLS_AVAILABLE: 'no TLS version both sides allow',
  ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION: 'the server refused every TLS version this client allows (1.2 and newer)',
  ERR_SSL_WRONG_VERSION_NUMBER: 'the server did not answer in TLS (a plain-HTTP port, or a very old TLS version)',
  ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE: 'the server found no cipher or parameters both sides allow (handshake failure alert)',
  ERR_SSL_NO_SHARED_CIPHER: 'no cipher both sides allow',
  ERR_SSL_NO_CIPHERS_AVAILABLE: 'no cipher both sides allow',
  ERR_SSL_TLSV1_ALERT_INSUFFICIENT_SECURITY: 'the server requires ciphers weaker than this client allows',
  ERR_SSL_DH_KEY_TOO_SMALL: `the server's Diffie-Hellman key is smaller than ${MIN_DH_BITS} bits`,
  ERR_TLS_DH_PARAM_SIZE: `the server's Diffie-Hellman key is smaller than ${MIN_DH_BITS} bits`,
  ERR_SSL_EE_KEY_TOO_SMALL: 'the server certificate key is too small for the security level',
  ERR_SSL_CA_MD_TOO_WEAK: 'a certificate in the chain is signed with a weak digest',
  ERR_SSL_SSLV3_ALERT_ILLEGAL_PARAMETER: 'the server sent an illegal handshake parameter',
  ERR_SSL_UNSAFE_LEGACY_RENEGOTIATION_DISABLED: 'the server does not support secure renegotiation (RFC 5746)',
};
/** Alerts a server sends when it wants a client certificate and got none, or one it does not accept. */
const CLIENT_CERTIFICATE_FAILURES: Record<string, string> = {
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: 'the server requires a client certificate and none was sent',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'the server did not accept the client certificate',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'the server does not trust the issuer of the client certificate',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN: 'the server did not accept the client certificate',
};

/** A TLS-level failure named for a person, or undefined when `err` is not one (a refused connection, say). */
export function tlsFailure(err: unknown, endpoint: string): BitsError | undefined {
  const raw = (err as { code?: unknown })?.code;
  if (typeof raw !== 'string') return undefined;
  // OpenSSL 3.2+ (Node 24) names SSLv3-era alerts 'SSL/TLS alert ...'.
  const code = raw.replace('ERR_SSL_SSL/TLS_ALERT_', 'ERR_SSL_SSLV3_ALERT_');
  const channel = CHANNEL_FAILURES[code];
  if (channel) {
    return new BitsError(
      Codes.ERROR_WINHTTP_SECURE_CHANNEL_ERROR,
      `The TLS handshake with ${endpoint} failed: ${channel} (${code}). This client requires TLS 1.2 or newer at OpenSSL's security level 2; the server's TLS configuration must be fixed.`,
      ErrorContext.GENERAL_TRANSPORT,
      { transient: false, cause: err },
    );
  }
  const client = CLIENT_CERTIFICATE_FAILURES[code];
  if (client) {
    return new BitsError(
      Codes.ERROR_WINHTTP_CLIENT_AUTH_CERT_NEEDED,
      `The TLS handshake with ${endpoint} failed: ${client} (${code}). Set the job's client certificate, then resume the job.`,
      ErrorContext.GENERAL_TRANSPORT,
      { transient: false, cause: err },
    );
  }
  return undefined;
}

/** Connects and completes the handshake; decides nothing about the certificate (the gate does, from the verdict). */
export function tlsHandshake(options: HandshakeOptions): Promise<tls.TLSSocket> {
  const { host, port } = options;
  const endpoint = `${host}:${port}`;
  return new Promise((resolve, reject) => {
    let socket: tls.TLSSocket;
    try {
      socket = tls.connect({
        host,
        port,
        socket: options.socket,
        servername: isIP(host) ? undefined : (options.servername ?? host),
        secureContext: contextFor(options.trust, options.client),
        rejectUnauthorized: false,
        // The host name is checked by phase 1 (with Node's checkServerIdentity), so that OpenSSL's verdict is
        // about the chain alone and a CN-invalid flag relaxes nothing else.
        checkServerIdentity: () => undefined,
        minDHSize: MIN_DH_BITS,
        ALPNProtocols: ['http/1.1'],
        ...(options.lookup && !options.socket ? { lookup: options.lookup } : {}),
        ...(options.onread ? { onread: options.onread } : {}),
      });
    } catch (e) {
      options.socket?.destroy();
      reject(tlsFailure(e, endpoint) ?? e);
      return;
    }
    const timer = setTimeout(
      () =>
        socket.destroy(
          new BitsError(
            Codes.ERROR_WINHTTP_TIMEOUT,
            `No TLS connection to ${endpoint} within ${Math.round(options.timeoutMs / 1000)} s: the server accepted the connection but did not finish the handshake.`,
            ErrorContext.GENERAL_TRANSPORT,
            { transient: true },
          ),
        ),
      options.timeoutMs,
    );
    const onAbandoned = () =>
      socket.destroy(
        new BitsError(
          Codes.E_ABORT,
          `The connection to ${endpoint} was given up before its TLS handshake finished.`,
          ErrorContext.GENERAL_TRANSPORT,
          { transient: true },
        ),
      );
    const settle = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbandoned);
    };
    const onError = (e: Error) => {
      settle();
      reject(tlsFailure(e, endpoint) ?? e);
    };
    socket.once('secureConnect', () => {
      settle();
      socket.removeListener('error', onError);
      resolve(socket);
    });
    socket.once('error', onError);
    if (options.signal?.aborted) onAbandoned();
    else options.signal?.addEventListener('abort', onAbandoned, { once: true });
  });
}
