// OpenSSL's verdict on a server's chain, as Node reports it (socket.authorized / authorizationError), sorted
// into the checks a BITS security flag can relax. Only the chain, date and usage families can be relaxed; every
// other code (a violated constraint, a bad or weak signature, a weak key, a malformed certificate, and
// UNSPECIFIED, which is what Node reports for codes it has no name for, such as a SHA-1 signature) never is.
import type { TLSSocket } from 'node:tls';

export type RelaxableCheck = 'chain' | 'date' | 'usage';

export interface PlatformVerdict {
  authorized: boolean;
  /** OpenSSL's code as Node names it, when not authorized (e.g. CERT_HAS_EXPIRED). */
  error?: string;
}

const FAMILY: Record<string, RelaxableCheck> = {
  UNABLE_TO_GET_ISSUER_CERT: 'chain',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'chain',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'chain',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'chain',
  SELF_SIGNED_CERT_IN_CHAIN: 'chain',
  CERT_UNTRUSTED: 'chain',
  CERT_NOT_YET_VALID: 'date',
  CERT_HAS_EXPIRED: 'date',
  INVALID_PURPOSE: 'usage',
};

const DESCRIPTION: Record<string, string> = {
  UNABLE_TO_GET_ISSUER_CERT: 'the issuer certificate could not be found',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the issuer of a certificate is not trusted and was not sent',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the server certificate is not signed by a trusted authority',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the server certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'the chain ends at a self-signed root that is not trusted',
  CERT_UNTRUSTED: 'the root is not trusted for this purpose',
  CERT_NOT_YET_VALID: 'a certificate is not valid yet',
  CERT_HAS_EXPIRED: 'a certificate has expired',
  INVALID_PURPOSE: 'a certificate is not for TLS server authentication',
  PATH_LENGTH_EXCEEDED: "an authority's path length constraint is exceeded",
  INVALID_CA: 'a certificate that signed another is not a certificate authority',
  CERT_SIGNATURE_FAILURE: 'a signature in the chain does not verify',
  CERT_REJECTED: 'the root is marked to reject this purpose',
  CERT_CHAIN_TOO_LONG: 'the chain is too long',
  ERROR_IN_CERT_NOT_BEFORE_FIELD: 'a certificate has a malformed validity date',
  ERROR_IN_CERT_NOT_AFTER_FIELD: 'a certificate has a malformed validity date',
  UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: "an issuer's public key cannot be read",
  UNABLE_TO_DECRYPT_CERT_SIGNATURE: 'a certificate signature cannot be read',
  UNSPECIFIED:
    'OpenSSL refused the chain for a reason Node does not name (a weak signature algorithm, a weak key or a name-constraint violation, for example)',
};

export function platformVerdict(socket: TLSSocket): PlatformVerdict {
  if (socket.authorized) return { authorized: true };
  const raw = socket.authorizationError as unknown;
  const error =
    typeof raw === 'string' ? raw : raw instanceof Error ? ((raw as Error & { code?: string }).code ?? raw.message) : 'UNSPECIFIED';
  return { authorized: false, error };
}

/** The check a flag could relax for this OpenSSL code, or undefined when no flag relaxes it. */
export function relaxableFamily(error: string): RelaxableCheck | undefined {
  return FAMILY[error];
}

export function describePlatformError(error: string): string {
  return `${DESCRIPTION[error] ?? 'OpenSSL refused the chain'} (OpenSSL: ${error})`;
}
