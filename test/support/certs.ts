// Certificates made at test time with node-forge: a private CA, leaves for given hosts, and the broken
// kinds the certificate gate must catch (expired, wrong host, wrong usage, unknown CA, intermediate chains).
import forge from 'node-forge';

export interface Issued {
  /** PEM of the certificate. */
  cert: string;
  /** PEM of its private key. */
  key: string;
  /** The forge objects, for signing further certificates. */
  forgeCert: forge.pki.Certificate;
  forgeKey: forge.pki.rsa.PrivateKey;
}

export interface LeafOptions {
  /** DNS names and IP addresses for subjectAltName; the first is also the CN. */
  hosts?: string[];
  notBefore?: Date;
  notAfter?: Date;
  /** Extended key usage: serverAuth unless told otherwise (['clientAuth'] makes a wrong-usage leaf). */
  extKeyUsage?: ('serverAuth' | 'clientAuth' | 'codeSigning')[];
  /** Make a CA (for intermediates). */
  isCA?: boolean;
  commonName?: string;
}

let serial = 1;
// Key generation is the slow part of forge; 2048-bit keys are reused per process so suites stay fast.
const keyPool: forge.pki.rsa.KeyPair[] = [];
function keyPair(index: number): forge.pki.rsa.KeyPair {
  while (keyPool.length <= index) keyPool.push(forge.pki.rsa.generateKeyPair({ bits: 2048, e: 0x10001 }));
  return keyPool[index];
}
let nextKey = 0;
/** A fresh key pair every call (up to 8 distinct ones, then reused), so SPKI pins differ between certs. */
function freshKeyPair(): forge.pki.rsa.KeyPair {
  return keyPair(nextKey++ % 8);
}

function isIp(host: string): boolean {
  return /^\d+\.\d+\.\d+\.\d+$/.test(host) || host.includes(':');
}

function build(subjectCN: string, opts: LeafOptions, issuer: Issued | undefined): Issued {
  const keys = freshKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  // A positive DER INTEGER with no leading zero byte: '01' then random bytes.
  cert.serialNumber = '01' + (serial++).toString(16).padStart(4, '0') + forge.util.bytesToHex(forge.random.getBytesSync(8));
  cert.validity.notBefore = opts.notBefore ?? new Date(Date.now() - 24 * 3600 * 1000);
  cert.validity.notAfter = opts.notAfter ?? new Date(Date.now() + 30 * 24 * 3600 * 1000);
  const subject = [
    { name: 'commonName', value: subjectCN },
    { name: 'organizationName', value: 'Managed Downloads Tests' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(issuer ? issuer.forgeCert.subject.attributes : subject);
  const extensions: object[] = [];
  if (opts.isCA) {
    extensions.push({ name: 'basicConstraints', cA: true, critical: true });
    extensions.push({ name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true });
  } else {
    extensions.push({ name: 'basicConstraints', cA: false });
    extensions.push({ name: 'keyUsage', digitalSignature: true, keyEncipherment: true });
    const usage = opts.extKeyUsage ?? ['serverAuth'];
    extensions.push({ name: 'extKeyUsage', ...Object.fromEntries(usage.map((u) => [u, true])) });
    const hosts = opts.hosts ?? ['localhost', '127.0.0.1'];
    extensions.push({
      name: 'subjectAltName',
      altNames: hosts.map((h) => (isIp(h) ? { type: 7, ip: h } : { type: 2, value: h })),
    });
  }
  extensions.push({ name: 'subjectKeyIdentifier' });
  cert.setExtensions(extensions);
  cert.sign(issuer ? issuer.forgeKey : keys.privateKey, forge.md.sha256.create());
  return {
    cert: forge.pki.certificateToPem(cert),
    key: forge.pki.privateKeyToPem(keys.privateKey),
    forgeCert: cert,
    forgeKey: keys.privateKey,
  };
}

/** A self-signed root CA. */
export function makeCA(commonName = 'Managed Downloads Test CA'): Issued {
  return build(commonName, { isCA: true, notAfter: new Date(Date.now() + 365 * 24 * 3600 * 1000) }, undefined);
}

/** A CA signed by another CA (an intermediate). */
export function makeIntermediate(issuer: Issued, commonName = 'Managed Downloads Test Intermediate'): Issued {
  return build(commonName, { isCA: true }, issuer);
}

/** A server certificate signed by `issuer` (self-signed when no issuer is given). */
export function makeLeaf(issuer: Issued | undefined, opts: LeafOptions = {}): Issued {
  const hosts = opts.hosts ?? ['localhost', '127.0.0.1'];
  return build(opts.commonName ?? hosts[0], { ...opts, hosts }, issuer);
}

/** An expired server certificate. */
export function makeExpiredLeaf(issuer: Issued, hosts?: string[]): Issued {
  return makeLeaf(issuer, {
    hosts,
    notBefore: new Date(Date.now() - 60 * 24 * 3600 * 1000),
    notAfter: new Date(Date.now() - 24 * 3600 * 1000),
  });
}
