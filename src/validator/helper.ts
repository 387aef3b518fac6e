// The runtime of `managed-downloads/validator`, the module validator files import (its declarations are
// managed-downloads-validator.d.ts). Bundled into the validator worker, which hands it to the compiled
// validator as that module, so a validator needs nothing installed. The parts live in ./helpers.
import { X509Certificate } from 'node:crypto';
import type * as Declared from './managed-downloads-validator';
import type { CertificateView, ValidationInput, ValidationResult } from './managed-downloads-validator';
import { describeCertificate, spkiSha256Base64 } from '../core/tls/certificate-view';
import { readCertStore } from '../core/tls/cert-store';
import { splitPem } from '../core/tls/trust-store';
import { CertErrors, ChainPolicy, S_OK, toBuffer, verifyChain } from './helpers/chain';
import { hostMatches } from './helpers/host-patterns';
import { log } from './helpers/log';
import { pinSet } from './helpers/pins';
import { certificatePolicy } from './helpers/policy';
import { inspectionRoot, privateCa } from './helpers/trust-rules';

export { CertErrors, ChainPolicy, S_OK, verifyChain, hostMatches, log, pinSet, certificatePolicy, inspectionRoot, privateCa };

export const E_FAIL = 0x80004005;
export const X509_ASN_ENCODING = 0x1;
export const PKCS_7_ASN_ENCODING = 0x10000;

export function parseCertificate(der: Uint8Array): CertificateView {
  return describeCertificate(new X509Certificate(toBuffer(der)));
}

export function openStore(certStoreData: Uint8Array): Uint8Array[] {
  return readCertStore(certStoreData).map((b) => new Uint8Array(b));
}

export function pemToDer(pem: string): Uint8Array[] {
  return splitPem(pem).map((block) => new Uint8Array(new X509Certificate(block).raw));
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
  hostMatches,
  pinSet,
  privateCa,
  inspectionRoot,
  certificatePolicy,
  log,
};
void _conforms;
