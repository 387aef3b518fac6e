// Certificates of every shape the certificate matrix needs, made at test time: node-forge builds the
// certificate (names, validity, extensions), and node:crypto supplies what forge cannot: ECDSA keys, keys of
// any size, and the signature, with any hash. So a test can make a SHA-1 intermediate, a 1024-bit leaf, a CA
// with name or path-length constraints, a leaf with no subject, or one with 1,000 names.
import forge from 'node-forge';
import { createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

export type KeyKind = 'rsa2048' | 'rsa1024' | 'ec256';

export interface Made {
  /** PEM of the certificate. */
  cert: string;
  /** PEM (PKCS#8) of its private key. */
  key: string;
  keyObject: KeyObject;
  kind: KeyKind;
  subject: forge.pki.CertificateField[];
}

export interface CertSpec {
  /** Common name; null makes a certificate with an empty subject (names only in the SAN). */
  cn?: string | null;
  /** DNS names and IP addresses for subjectAltName (none: no SAN extension). */
  sans?: string[];
  key?: KeyKind;
  /** Signed by this certificate's key; self-signed when absent. */
  issuer?: Made;
  hash?: 'sha256' | 'sha1';
  ca?: boolean;
  pathLen?: number;
  eku?: ('serverAuth' | 'clientAuth')[];
  notBefore?: Date;
  notAfter?: Date;
  /** Name constraints on DNS names (a CA's). */
  permittedDns?: string[];
  excludedDns?: string[];
  crlUrl?: string;
}

const { asn1 } = forge;
const DAY = 24 * 3600 * 1000;
let serial = 0x5000;

// Key generation is the slow part: a few keys of each kind per process, reused round-robin.
const pools = new Map<KeyKind, KeyObject[]>();
const nextOf = new Map<KeyKind, number>();
function keyFor(kind: KeyKind): KeyObject {
  const pool = pools.get(kind) ?? [];
  pools.set(kind, pool);
  const i = nextOf.get(kind) ?? 0;
  nextOf.set(kind, i + 1);
  if (pool.length < 4) {
    const { privateKey } =
      kind === 'ec256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('rsa', { modulusLength: kind === 'rsa1024' ? 1024 : 2048 });
    pool.push(privateKey);
    return privateKey;
  }
  return pool[i % pool.length];
}

let placeholder: forge.pki.rsa.PublicKey | undefined;
/** forge needs an RSA public key to lay out a certificate; the real key's SPKI replaces it afterwards. */
function placeholderKey(): forge.pki.rsa.PublicKey {
  placeholder ??= forge.pki.rsa.generateKeyPair({ bits: 512, e: 0x10001 }).publicKey;
  return placeholder;
}

const SIGNATURE_OID: Record<'rsa' | 'ec', Record<'sha256' | 'sha1', string>> = {
  rsa: { sha256: '1.2.840.113549.1.1.11', sha1: '1.2.840.113549.1.1.5' },
  ec: { sha256: '1.2.840.10045.4.3.2', sha1: '1.2.840.10045.4.1' },
};

function algorithmIdentifier(oid: string, rsa: boolean): forge.asn1.Asn1 {
  // RSA signatures carry NULL parameters; ECDSA ones carry none (RFC 5758).
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(oid).getBytes()),
    ...(rsa ? [asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, '')] : []),
  ]);
}

function nameConstraints(permitted: string[] = [], excluded: string[] = []): string {
  const subtrees = (tag: number, names: string[]) =>
    asn1.create(
      asn1.Class.CONTEXT_SPECIFIC,
      tag,
      true,
      names.map((n) =>
        asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [asn1.create(asn1.Class.CONTEXT_SPECIFIC, 2, false, n)]),
      ),
    );
  const parts = [...(permitted.length ? [subtrees(0, permitted)] : []), ...(excluded.length ? [subtrees(1, excluded)] : [])];
  return asn1.toDer(asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, parts)).getBytes();
}

const isIp = (h: string) => /^\d+\.\d+\.\d+\.\d+$/.test(h) || h.includes(':');

export function makeCert(spec: CertSpec): Made {
  const kind = spec.key ?? 'rsa2048';
  const keyObject = keyFor(kind);
  const cert = forge.pki.createCertificate();
  cert.publicKey = placeholderKey();
  cert.serialNumber = '01' + (serial++).toString(16).padStart(6, '0') + forge.util.bytesToHex(forge.random.getBytesSync(6));
  cert.validity.notBefore = spec.notBefore ?? new Date(Date.now() - DAY);
  cert.validity.notAfter = spec.notAfter ?? new Date(Date.now() + 30 * DAY);
  const subject =
    spec.cn === null
      ? []
      : [
          { name: 'commonName', value: spec.cn ?? spec.sans?.[0] ?? 'matrix' },
          { name: 'organizationName', value: 'Managed Downloads Matrix' },
        ];
  cert.setSubject(subject);
  cert.setIssuer(spec.issuer ? spec.issuer.subject : subject);
  const extensions: object[] = [];
  if (spec.ca) {
    extensions.push({
      name: 'basicConstraints',
      cA: true,
      critical: true,
      ...(spec.pathLen !== undefined ? { pathLenConstraint: spec.pathLen } : {}),
    });
    extensions.push({ name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true });
    if (spec.permittedDns || spec.excludedDns)
      extensions.push({ id: '2.5.29.30', critical: true, value: nameConstraints(spec.permittedDns, spec.excludedDns) });
  } else {
    extensions.push({ name: 'basicConstraints', cA: false });
    extensions.push({ name: 'keyUsage', digitalSignature: true, keyEncipherment: kind !== 'ec256', critical: true });
    extensions.push({ name: 'extKeyUsage', ...Object.fromEntries((spec.eku ?? ['serverAuth']).map((u) => [u, true])) });
  }
  if (spec.sans)
    extensions.push({
      name: 'subjectAltName',
      critical: spec.cn === null,
      altNames: spec.sans.map((h) => (isIp(h) ? { type: 7, ip: h } : { type: 2, value: h })),
    });
  if (spec.crlUrl) extensions.push({ name: 'cRLDistributionPoints', altNames: [{ type: 6, value: spec.crlUrl }] });
  cert.setExtensions(extensions);

  const signer = spec.issuer ?? { keyObject, kind };
  const signerRsa = signer.kind !== 'ec256';
  const hash = spec.hash ?? 'sha256';
  const sigOid = SIGNATURE_OID[signerRsa ? 'rsa' : 'ec'][hash];
  (cert as unknown as { siginfo: { algorithmOid: string } }).siginfo.algorithmOid = sigOid;
  const tbs = (forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate(cert);
  const fields = tbs.value as forge.asn1.Asn1[];
  // tbsCertificate: version, serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, extensions
  fields[2] = algorithmIdentifier(sigOid, signerRsa);
  const spki = createPublicKey(keyObject).export({ type: 'spki', format: 'der' });
  fields[6] = asn1.fromDer(spki.toString('binary'));
  const tbsDer = Buffer.from(asn1.toDer(tbs).getBytes(), 'binary');
  const signature = sign(hash, tbsDer, signer.keyObject);
  const whole = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    tbs,
    algorithmIdentifier(sigOid, signerRsa),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, '\0' + signature.toString('binary')),
  ]);
  const der = Buffer.from(asn1.toDer(whole).getBytes(), 'binary');
  const pem = `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END CERTIFICATE-----\n`;
  return {
    cert: pem,
    key: keyObject.export({ type: 'pkcs8', format: 'pem' }) as string,
    keyObject,
    kind,
    subject: cert.subject.attributes,
  };
}

/** The forge view an RSA-keyed certificate needs for CRL signing (test/unit/core/tls/crl-helpers.ts). */
export function forgeIssued(made: Made): {
  cert: string;
  key: string;
  forgeCert: forge.pki.Certificate;
  forgeKey: forge.pki.rsa.PrivateKey;
} {
  return {
    cert: made.cert,
    key: made.key,
    forgeCert: forge.pki.certificateFromPem(made.cert),
    forgeKey: forge.pki.privateKeyFromPem(made.key) as forge.pki.rsa.PrivateKey,
  };
}
