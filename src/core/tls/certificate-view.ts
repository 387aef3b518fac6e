// What a person (or a validator) wants to read about a certificate, computed once from its DER bytes.
import { createHash, X509Certificate } from 'node:crypto';
import type { CertificateView } from '../../validator/managed-downloads-validator';

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** sha256 of the SubjectPublicKeyInfo, base64: the form OkHttp and curl pins use (`sha256/<base64>`). */
export function spkiSha256Base64(cert: X509Certificate): string {
  const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

/** `DNS:a, IP Address:1.2.3.4` as Node prints it, split into names. */
export function subjectAltNames(cert: X509Certificate): string[] {
  const raw = cert.subjectAltName;
  if (!raw) return [];
  return raw
    .split(/,\s*/)
    .map((entry) => entry.replace(/^(DNS|IP Address|URI|email):/, '').trim())
    .filter((name) => name.length > 0);
}

/** One line per RDN in Node's form ("CN=x\nO=y") joined the way people read them ("CN=x, O=y"). */
export function readableName(name: string | undefined): string {
  // Node gives an empty subject (a leaf named only in its SAN, as RFC 5280 allows) as undefined.
  return (name ?? '').split('\n').join(', ');
}

function commonName(name: string | undefined): string | undefined {
  return /^CN=(.*)$/m.exec(name ?? '')?.[1];
}

export function describeCertificate(cert: X509Certificate): CertificateView {
  const der = cert.raw;
  return {
    der: new Uint8Array(der),
    subject: readableName(cert.subject),
    subjectCommonName: commonName(cert.subject),
    issuer: readableName(cert.issuer),
    issuerCommonName: commonName(cert.issuer),
    subjectAltNames: subjectAltNames(cert),
    validFrom: new Date(Date.parse(cert.validFrom)).toISOString(),
    validTo: new Date(Date.parse(cert.validTo)).toISOString(),
    serialNumber: cert.serialNumber.toLowerCase(),
    sha256: sha256Hex(der),
    spkiSha256: spkiSha256Base64(cert),
    isCA: cert.ca,
  };
}
