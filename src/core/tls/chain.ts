// The platform checks, one by one, so each can be named when it fails and relaxed on its own by the
// job's security flags (OpenSSL reports only the first error it meets). Shared by phase 1 and by the
// validator helper (steps 4-6 of the seed). Uses node:crypto's X509Certificate, which parses every key
// type (node-forge parses only RSA keys) in Node 20, Node 24 and Electron alike.
import { checkServerIdentity } from 'node:tls';
import type { X509Certificate } from 'node:crypto';
import { EkuOid, keyUsageOf, readExtensions } from './extensions';
import { readableName } from './certificate-view';

/** Trust anchors, indexed for issuer look-ups. */
export interface AnchorSet {
  isAnchor(cert: X509Certificate): boolean;
  /** Anchors whose subject is this certificate's issuer. */
  candidatesFor(cert: X509Certificate): X509Certificate[];
}

export interface PathResult {
  /** Leaf first, then each issuer found; ends at a trust anchor when trusted. */
  path: X509Certificate[];
  trusted: boolean;
  /** Why no trusted path was found. */
  problem?: string;
}

const MAX_DEPTH = 10;

function issues(issuer: X509Certificate, cert: X509Certificate): boolean {
  try {
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

function isSelfIssued(cert: X509Certificate): boolean {
  return cert.subject === cert.issuer;
}

/** Builds a path from the leaf through the certificates the server sent to a trust anchor. */
export function buildPath(leaf: X509Certificate, sent: readonly X509Certificate[], anchors: AnchorSet): PathResult {
  const path = [leaf];
  let current = leaf;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    if (anchors.isAnchor(current)) return { path, trusted: true };
    const anchor = anchors.candidatesFor(current).find((a) => issues(a, current));
    if (anchor) {
      path.push(anchor);
      return { path, trusted: true };
    }
    if (isSelfIssued(current)) {
      const what = current === leaf ? 'the server certificate is self-signed' : `the root '${readableName(current.subject)}' sent by the server`;
      return { path, trusted: false, problem: `${what} and is not trusted` };
    }
    const next = sent.find((c) => c.ca && !path.includes(c) && issues(c, current));
    if (!next) {
      return {
        path,
        trusted: false,
        problem: `no trusted issuer for '${readableName(current.subject)}' (issuer '${readableName(current.issuer)}' is neither trusted nor sent by the server, or its signature does not verify)`,
      };
    }
    path.push(next);
    current = next;
  }
  return { path, trusted: false, problem: `the certificate chain is longer than ${MAX_DEPTH}` };
}

/** Every certificate in the path must be valid at `at`. */
export function dateProblem(path: readonly X509Certificate[], at: Date): string | undefined {
  for (const cert of path) {
    const from = Date.parse(cert.validFrom);
    const to = Date.parse(cert.validTo);
    const name = readableName(cert.subject);
    if (at.getTime() < from) return `'${name}' is not valid before ${new Date(from).toISOString()}`;
    if (at.getTime() > to) return `'${name}' expired on ${new Date(to).toISOString()}`;
  }
  return undefined;
}

function extendedUsages(cert: X509Certificate): string[] | undefined {
  // Node 24 names it extKeyUsage; Node 20 calls the same list keyUsage.
  const withExt = cert as X509Certificate & { extKeyUsage?: string[] };
  return withExt.extKeyUsage ?? cert.keyUsage;
}

/** The leaf must be usable for TLS server authentication, and no CA above it may restrict that away. */
export function usageProblem(path: readonly X509Certificate[]): string | undefined {
  for (const [i, cert] of path.entries()) {
    const eku = extendedUsages(cert);
    if (eku && eku.length > 0 && !eku.includes(EkuOid.SERVER_AUTH) && !eku.includes(EkuOid.ANY)) {
      const who = i === 0 ? 'the server certificate' : `the CA '${readableName(cert.subject)}'`;
      return `${who} is not for TLS server authentication (extended key usage: ${eku.join(', ')})`;
    }
  }
  const leafUsage = keyUsageOf(readExtensions(path[0].raw));
  if (leafUsage && !leafUsage.digitalSignature && !leafUsage.keyEncipherment && !leafUsage.keyAgreement) {
    return 'the server certificate key usage allows neither digitalSignature, keyEncipherment nor keyAgreement';
  }
  return undefined;
}

/** The host name (or IP address) must be one the leaf names. Node's own rules (RFC 6125, as Node applies them). */
export function nameProblem(leaf: X509Certificate, host: string): string | undefined {
  const bareHost = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const err = checkServerIdentity(bareHost, leaf.toLegacyObject());
  return err ? err.message : undefined;
}
