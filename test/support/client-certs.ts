// Client certificates made at test time with node-forge (a client CA, a client leaf as PEM, an encrypted PEM key
// and PKCS#12), and an HTTPS server on loopback that requires a certificate from that CA.
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import forge from 'node-forge';
import { makeCA, makeLeaf, type Issued } from './certs';
import { startServer, type TestServer } from './servers';

export interface ClientMaterial {
  /** The CA the server trusts for client certificates. */
  clientCa: Issued;
  /** A client certificate it issued (CN "alice"), and one it did not (CN "mallory", self-signed). */
  alice: Issued;
  mallory: Issued;
  /** A key that belongs to no certificate here. */
  strayKey: string;
  /** alice's key encrypted with PASSPHRASE (PEM, PKCS#8). */
  aliceEncryptedKey: string;
  /** alice's certificate and key as PKCS#12, protected by PASSPHRASE. */
  alicePfx: Buffer;
}

export const PASSPHRASE = 'correct horse battery staple 7f3a';

export function makeClientMaterial(): ClientMaterial {
  const clientCa = makeCA('Managed Downloads Test Client CA');
  const alice = makeLeaf(clientCa, { hosts: ['alice.test'], commonName: 'alice', extKeyUsage: ['clientAuth'] });
  const mallory = makeLeaf(undefined, { hosts: ['mallory.test'], commonName: 'mallory', extKeyUsage: ['clientAuth'] });
  const strayKey = makeLeaf(clientCa, { hosts: ['stray.test'], extKeyUsage: ['clientAuth'] }).key;
  const info = forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(alice.forgeKey));
  const aliceEncryptedKey = forge.pki.encryptedPrivateKeyToPem(forge.pki.encryptPrivateKeyInfo(info, PASSPHRASE, { algorithm: 'aes256' }));
  const p12 = forge.pkcs12.toPkcs12Asn1(alice.forgeKey, [alice.forgeCert], PASSPHRASE, { algorithm: '3des' });
  const alicePfx = Buffer.from(forge.asn1.toDer(p12).getBytes(), 'binary');
  return { clientCa, alice, mallory, strayKey, aliceEncryptedKey, alicePfx };
}

/** Writes the material as files in `dir`; returns their paths. */
export function writeClientFiles(dir: string, m: ClientMaterial) {
  const files = {
    cert: path.join(dir, 'alice.crt'),
    key: path.join(dir, 'alice.key'),
    combined: path.join(dir, 'alice.pem'),
    encryptedKey: path.join(dir, 'alice.enc.key'),
    pfx: path.join(dir, 'alice.p12'),
    strayKey: path.join(dir, 'stray.key'),
    malloryCert: path.join(dir, 'mallory.crt'),
    malloryKey: path.join(dir, 'mallory.key'),
  };
  writeFileSync(files.cert, m.alice.cert);
  writeFileSync(files.key, m.alice.key);
  writeFileSync(files.combined, m.alice.cert + m.alice.key);
  writeFileSync(files.encryptedKey, m.aliceEncryptedKey);
  writeFileSync(files.pfx, m.alicePfx);
  writeFileSync(files.strayKey, m.strayKey);
  writeFileSync(files.malloryCert, m.mallory.cert);
  writeFileSync(files.malloryKey, m.mallory.key);
  return files;
}

/** An HTTPS server (leaf issued by `serverCa`) that accepts only clients with a certificate from `clientCa`. */
export function startClientAuthServer(
  serverCa: Issued,
  clientCa: Issued,
  options: { host?: string; maxVersion?: 'TLSv1.2' | 'TLSv1.3' } = {},
): Promise<TestServer> {
  const host = options.host ?? '127.0.0.1';
  const leaf = makeLeaf(serverCa, { hosts: [host] });
  return startServer({ host, tls: { cert: leaf.cert, key: leaf.key, clientCa: clientCa.cert, maxVersion: options.maxVersion } });
}
