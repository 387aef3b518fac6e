// The platform checks, one by one, so each can be named when it fails and relaxed on its own by the
// job's security flags (OpenSSL reports only the first error it meets). Shared by phase 1 and by the
// validator helper (steps 4-6 of the seed). Uses node:crypto's X509Certificate, which parses every key
// type (node-forge parses only RSA keys) in Node 20, Node 24 and Electron alike.
import { checkServerIdentity } from 'node:tls';
import type { X509Certificate } from 'node:crypto';
import { children, contentOf, decodeOid, DerTag, readTlv } from './der';
import { EkuOid, ExtensionOid, keyUsageOf, readExtensions, type Extension } from './extensions';
import { nameConstraintProblem } from './name-constraints';
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
      const what =
        current === leaf ? 'the server certificate is self-signed' : `the root '${readableName(current.subject)}' sent by the server`;
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

// ---- Checks no security flag relaxes. OpenSSL makes them too, but reports one code (often UNSPECIFIED) for
// the first or last failure it meets; these name the failure, and when a flag relaxes the failure OpenSSL
// reported, they make sure nothing else it would have refused hides behind it.

const WEAK_SIGNATURES: Record<string, string> = {
  '1.2.840.113549.1.1.2': 'MD2',
  '1.2.840.113549.1.1.3': 'MD4',
  '1.2.840.113549.1.1.4': 'MD5',
  '1.2.840.113549.1.1.5': 'SHA-1',
  '1.3.14.3.2.29': 'SHA-1',
  '1.2.840.10045.4.1': 'SHA-1',
  '1.2.840.10040.4.3': 'SHA-1',
};
const RSA_PSS = '1.2.840.113549.1.1.10';
const SHA1 = '1.3.14.3.2.26';
/** OpenSSL's security level 2 (its default since 3.2, and Debian's): 112 bits, so RSA and DSA of 2048 bits. */
export const MIN_RSA_BITS = 2048;
const STRONG_CURVES = new Set([
  'prime256v1',
  'secp384r1',
  'secp521r1',
  'secp224r1',
  'P-256',
  'P-384',
  'P-521',
  'P-224',
  'brainpoolP256r1',
  'brainpoolP384r1',
  'brainpoolP512r1',
]);

/** The hash a certificate's signature uses, when it is one OpenSSL's security level refuses. */
function weakSignatureHash(cert: X509Certificate): string | undefined {
  const der = cert.raw;
  const algorithm = children(der, children(der, readTlv(der, 0))[1]);
  const oid = decodeOid(contentOf(der, algorithm[0]));
  if (oid !== RSA_PSS) return WEAK_SIGNATURES[oid];
  // RSASSA-PSS names its hash in its parameters; an absent hashAlgorithm means SHA-1 (RFC 4055).
  const params = algorithm[1] ? children(der, algorithm[1]) : [];
  const hash = params.find((p) => p.tag === 0xa0);
  if (!hash) return 'SHA-1';
  const hashOid = decodeOid(contentOf(der, children(der, children(der, hash)[0])[0]));
  return hashOid === SHA1 ? 'SHA-1' : undefined;
}

function who(path: readonly X509Certificate[], i: number): string {
  return i === 0 ? 'the server certificate' : `the CA '${readableName(path[i].subject)}'`;
}

/** Weak signature algorithms (below the self-signed top, whose own signature vouches for nothing) and weak keys. */
export function strengthProblem(path: readonly X509Certificate[]): string | undefined {
  for (const [i, cert] of path.entries()) {
    const selfSignedTop = i === path.length - 1 && i > 0 && isSelfIssued(cert);
    const hash = selfSignedTop || (path.length === 1 && isSelfIssued(cert)) ? undefined : weakSignatureHash(cert);
    if (hash) return `${who(path, i)} is signed with ${hash}, which is too weak to trust`;
    const key = cert.publicKey;
    const details = key.asymmetricKeyDetails ?? {};
    const type = key.asymmetricKeyType;
    if ((type === 'rsa' || type === 'rsa-pss' || type === 'dsa') && (details.modulusLength ?? 0) < MIN_RSA_BITS) {
      return `${who(path, i)} has a ${details.modulusLength}-bit ${type.toUpperCase()} key; at least ${MIN_RSA_BITS} bits are required`;
    }
    if (type === 'ec' && !STRONG_CURVES.has(details.namedCurve ?? ''))
      return `${who(path, i)} has an EC key on the weak or unknown curve ${details.namedCurve ?? '(unnamed)'}`;
  }
  return undefined;
}

interface BasicConstraints {
  ca: boolean;
  pathLength?: number;
}

function basicConstraintsOf(extensions: Map<string, Extension>): BasicConstraints | undefined {
  const ext = extensions.get(ExtensionOid.BASIC_CONSTRAINTS);
  if (!ext) return undefined;
  const fields = children(ext.value, readTlv(ext.value, 0));
  let at = 0;
  const ca = fields[at]?.tag === DerTag.BOOLEAN ? ext.value[fields[at++].contentStart] !== 0 : false;
  const length =
    fields[at]?.tag === DerTag.INTEGER
      ? contentOf(ext.value, fields[at]).readUIntBE(0, Math.min(6, fields[at].end - fields[at].contentStart))
      : undefined;
  return { ca, pathLength: length };
}

export interface ConstraintViolation {
  /** Which constraint: an issuer that may not sign, a path length, or name constraints. */
  kind: 'not-a-ca' | 'path-length' | 'names';
  reason: string;
}

/** Every issuer is a CA allowed to sign certificates, path lengths are kept, and names stay inside name constraints. */
export function constraintsProblem(path: readonly X509Certificate[]): string | undefined {
  return constraintViolation(path)?.reason;
}

export function constraintViolation(path: readonly X509Certificate[]): ConstraintViolation | undefined {
  for (let i = 1; i < path.length; i++) {
    const cert = path[i];
    const extensions = readExtensions(cert.raw);
    const basic = basicConstraintsOf(extensions);
    // A self-signed v1 root carries no extensions at all; OpenSSL takes it as a CA, and so do we.
    const v1Root = i === path.length - 1 && isSelfIssued(cert) && extensions.size === 0;
    if (!v1Root && !basic?.ca)
      return {
        kind: 'not-a-ca',
        reason: `${who(path, i)} signed another certificate but is not a certificate authority (basicConstraints CA:FALSE or absent)`,
      };
    const usage = keyUsageOf(extensions);
    if (usage && !usage.keyCertSign)
      return { kind: 'not-a-ca', reason: `${who(path, i)} signed another certificate but its key usage does not allow keyCertSign` };
    if (basic?.pathLength !== undefined) {
      const below = path.slice(1, i).filter((c) => !isSelfIssued(c)).length;
      if (below > basic.pathLength)
        return {
          kind: 'path-length',
          reason: `${who(path, i)} allows ${basic.pathLength} intermediate CA(s) below it (pathLenConstraint) and the chain has ${below}`,
        };
    }
    const constraints = extensions.get(ExtensionOid.NAME_CONSTRAINTS);
    if (constraints) {
      for (let j = 0; j < i; j++) {
        if (j > 0 && isSelfIssued(path[j])) continue; // RFC 5280 6.1.3: self-issued intermediates are exempt
        const problem = nameConstraintProblem(constraints.value, path[j], j === 0);
        if (problem) return { kind: 'names', reason: `${who(path, j)} violates the name constraints of ${who(path, i)}: ${problem}` };
      }
    }
  }
  return undefined;
}
