// Steps 4-7 of the seed for validators: build the chain from the leaf through what the server sent to
// roots the validator chooses, then apply a CERT_CHAIN_POLICY-like set of checks, each relaxable.
import { X509Certificate } from 'node:crypto';
import type { ChainOptions, ChainVerdict, Endpoint, ValidationInput } from '../managed-downloads-validator';
import { describeCertificate } from '../../core/tls/certificate-view';
import { readCertStore } from '../../core/tls/cert-store';
import {
  buildPath,
  constraintViolation,
  dateProblem,
  nameProblem,
  strengthProblem,
  usageProblem,
  type AnchorSet,
} from '../../core/tls/chain';
import { splitPem } from '../../core/tls/trust-store';

export const S_OK = 0;

export const CertErrors = {
  CERT_E_EXPIRED: 0x800b0101,
  CERT_E_UNTRUSTEDROOT: 0x800b0109,
  CERT_E_CHAINING: 0x800b010a,
  CERT_E_CN_NO_MATCH: 0x800b010f,
  CERT_E_WRONG_USAGE: 0x800b0110,
  TRUST_E_CERT_SIGNATURE: 0x80096004,
  CERT_E_ROLE: 0x800b0103,
  CERT_E_PATHLENCONST: 0x800b0104,
  CERT_E_INVALID_NAME: 0x800b0114,
} as const;

const CONSTRAINT_CODE = {
  'not-a-ca': CertErrors.CERT_E_ROLE,
  'path-length': CertErrors.CERT_E_PATHLENCONST,
  names: CertErrors.CERT_E_INVALID_NAME,
} as const;

export const ChainPolicy = {
  IGNORE_NOT_TIME_VALID: 0x1,
  ALLOW_UNKNOWN_CA: 0x10,
  IGNORE_WRONG_USAGE: 0x20,
  IGNORE_INVALID_NAME: 0x40,
} as const;

export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Roots given as PEM text (each may hold several) or DER bytes, parsed. */
export function parseRoots(roots: ReadonlyArray<string | Uint8Array>): X509Certificate[] {
  return roots.flatMap((r) =>
    typeof r === 'string' ? splitPem(r).map((p) => new X509Certificate(p)) : [new X509Certificate(toBuffer(r))],
  );
}

class RootSet implements AnchorSet {
  constructor(private readonly roots: readonly X509Certificate[]) {}
  isAnchor(cert: X509Certificate): boolean {
    return this.roots.some((r) => r.fingerprint256 === cert.fingerprint256);
  }
  candidatesFor(cert: X509Certificate): X509Certificate[] {
    return this.roots.filter((r) => r.subject === cert.issuer);
  }
}

/** verifyChain with roots already parsed (the rules parse theirs once, when the validator loads). */
export function verifyChainWith(
  input: Pick<ValidationInput, 'certData' | 'certStoreData'> & { endpoint?: Endpoint },
  roots: readonly X509Certificate[],
  options: Omit<ChainOptions, 'roots'>,
): ChainVerdict {
  const flags = options.policyFlags ?? 0;
  const leaf = new X509Certificate(toBuffer(input.certData));
  const sent = readCertStore(input.certStoreData)
    .map((der) => new X509Certificate(der))
    .filter((c) => c.fingerprint256 !== leaf.fingerprint256);
  const built = buildPath(leaf, sent, new RootSet(roots));
  const problems: { code: number; reason: string }[] = [];
  // What no policy flag relaxes, as in phase 1: a weak signature or key, a violated constraint.
  const weak = strengthProblem(built.path);
  if (weak) problems.push({ code: CertErrors.TRUST_E_CERT_SIGNATURE, reason: weak });
  const violation = constraintViolation(built.path);
  if (violation) problems.push({ code: CONSTRAINT_CODE[violation.kind], reason: violation.reason });
  if (!built.trusted && !(flags & ChainPolicy.ALLOW_UNKNOWN_CA))
    problems.push({ code: CertErrors.CERT_E_UNTRUSTEDROOT, reason: built.problem ?? 'untrusted root' });
  const date = dateProblem(built.path, options.time ?? new Date());
  if (date && !(flags & ChainPolicy.IGNORE_NOT_TIME_VALID)) problems.push({ code: CertErrors.CERT_E_EXPIRED, reason: date });
  const host = options.host ?? input.endpoint?.host;
  if (!(flags & ChainPolicy.IGNORE_INVALID_NAME)) {
    const name = host === undefined ? 'no host name to check (give options.host or input.endpoint)' : nameProblem(leaf, host);
    if (name) problems.push({ code: CertErrors.CERT_E_CN_NO_MATCH, reason: name });
  }
  const usage = usageProblem(built.path);
  if (usage && !(flags & ChainPolicy.IGNORE_WRONG_USAGE)) problems.push({ code: CertErrors.CERT_E_WRONG_USAGE, reason: usage });
  return {
    code: problems[0]?.code ?? S_OK,
    reason: problems.map((p) => p.reason).join('; '),
    chain: built.path.map(describeCertificate),
    trusted: built.trusted,
  };
}

export function verifyChain(
  input: Pick<ValidationInput, 'certData' | 'certStoreData'> & { endpoint?: Endpoint },
  options: ChainOptions,
): ChainVerdict {
  return verifyChainWith(input, parseRoots(options.roots), options);
}
