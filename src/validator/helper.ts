// The runtime of `managed-downloads/validator`, the module validator files import (its declarations are
// managed-downloads-validator.d.ts). Bundled into the validator worker, which hands it to the compiled
// validator as that module, so a validator needs nothing installed.
import { X509Certificate } from 'node:crypto';
import type * as Declared from './managed-downloads-validator';
import type { CertificateView, ChainOptions, ChainVerdict, Endpoint, ValidationInput, ValidationResult } from './managed-downloads-validator';
import { describeCertificate, spkiSha256Base64 } from '../core/tls/certificate-view';
import { readCertStore } from '../core/tls/cert-store';
import { buildPath, dateProblem, nameProblem, usageProblem, type AnchorSet } from '../core/tls/chain';
import { splitPem } from '../core/tls/trust-store';

export const S_OK = 0;
export const E_FAIL = 0x80004005;
export const X509_ASN_ENCODING = 0x1;
export const PKCS_7_ASN_ENCODING = 0x10000;

export const CertErrors = {
  CERT_E_EXPIRED: 0x800b0101,
  CERT_E_UNTRUSTEDROOT: 0x800b0109,
  CERT_E_CHAINING: 0x800b010a,
  CERT_E_CN_NO_MATCH: 0x800b010f,
  CERT_E_WRONG_USAGE: 0x800b0110,
  TRUST_E_CERT_SIGNATURE: 0x80096004,
} as const;

export const ChainPolicy = {
  IGNORE_NOT_TIME_VALID: 0x1,
  ALLOW_UNKNOWN_CA: 0x10,
  IGNORE_WRONG_USAGE: 0x20,
  IGNORE_INVALID_NAME: 0x40,
} as const;

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function parseCertificate(der: Uint8Array): CertificateView {
  return describeCertificate(new X509Certificate(toBuffer(der)));
}

export function openStore(certStoreData: Uint8Array): Uint8Array[] {
  return readCertStore(certStoreData).map((b) => new Uint8Array(b));
}

export function pemToDer(pem: string): Uint8Array[] {
  return splitPem(pem).map((block) => new Uint8Array(new X509Certificate(block).raw));
}

class RootSet implements AnchorSet {
  private readonly roots: X509Certificate[];
  constructor(roots: ReadonlyArray<string | Uint8Array>) {
    this.roots = roots.flatMap((r) => (typeof r === 'string' ? splitPem(r).map((p) => new X509Certificate(p)) : [new X509Certificate(toBuffer(r))]));
  }
  isAnchor(cert: X509Certificate): boolean {
    return this.roots.some((r) => r.fingerprint256 === cert.fingerprint256);
  }
  candidatesFor(cert: X509Certificate): X509Certificate[] {
    return this.roots.filter((r) => r.subject === cert.issuer);
  }
}

export function verifyChain(input: Pick<ValidationInput, 'certData' | 'certStoreData'> & { endpoint?: Endpoint }, options: ChainOptions): ChainVerdict {
  const flags = options.policyFlags ?? 0;
  const leaf = new X509Certificate(toBuffer(input.certData));
  const sent = readCertStore(input.certStoreData)
    .map((der) => new X509Certificate(der))
    .filter((c) => c.fingerprint256 !== leaf.fingerprint256);
  const built = buildPath(leaf, sent, new RootSet(options.roots));
  const problems: { code: number; reason: string }[] = [];
  if (!built.trusted && !(flags & ChainPolicy.ALLOW_UNKNOWN_CA)) problems.push({ code: CertErrors.CERT_E_UNTRUSTEDROOT, reason: built.problem ?? 'untrusted root' });
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

function normalizePin(pin: string): string {
  return pin.startsWith('sha256/') ? pin.slice('sha256/'.length) : pin;
}

export function spkiPin(cert: CertificateView | Uint8Array): string {
  if (cert instanceof Uint8Array) return 'sha256/' + spkiSha256Base64(new X509Certificate(toBuffer(cert)));
  return 'sha256/' + cert.spkiSha256;
}

export function checkPins(input: ValidationInput, pins: readonly string[]): ValidationResult {
  const wanted = new Set(pins.map(normalizePin));
  const seen = input.certStore.map((c) => c.spkiSha256);
  if (seen.some((p) => wanted.has(p))) return S_OK;
  return decline(
    `certificate pinning failure for ${input.endpoint.host}:${input.endpoint.port}: seen ${input.certStore.map((c) => `sha256/${c.spkiSha256} (${c.subject})`).join(', ')}; expected one of ${[...wanted].map((p) => `sha256/${p}`).join(', ')}`,
    CertErrors.CERT_E_UNTRUSTEDROOT,
  );
}

export function decline(reason: string, code: number = E_FAIL): { code: number; reason: string } {
  return { code, reason };
}

// The declarations and this runtime must not drift apart: this fails to compile when they do.
const _conforms: typeof Declared = {
  S_OK,
  E_FAIL,
  X509_ASN_ENCODING,
  PKCS_7_ASN_ENCODING,
  CertErrors,
  ChainPolicy,
  parseCertificate,
  openStore,
  pemToDer,
  verifyChain,
  spkiPin,
  checkPins,
  decline,
};
void _conforms;
