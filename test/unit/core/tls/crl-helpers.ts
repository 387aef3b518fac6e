// CRLs and certificates with a CRL distribution point, made with node-forge at test time, and a plain
// HTTP server that serves the CRL (as CAs do).
import forge from 'node-forge';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Issued } from '../../../support/certs';

let serial = 0x7000;

export function makeLeafWithCrl(ca: Issued, crlUrl: string, hosts = ['127.0.0.1']): Issued {
  // The CA's own 2048-bit key pair serves the leaf too: generating another in forge is slow, and
  // OpenSSL 3 (Node 24) refuses keys under 2048 bits.
  const keys = { privateKey: ca.forgeKey, publicKey: forge.pki.setRsaPublicKey(ca.forgeKey.n, ca.forgeKey.e) };
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = '01' + (serial++).toString(16).padStart(6, '0');
  cert.validity.notBefore = new Date(Date.now() - 3600_000);
  cert.validity.notAfter = new Date(Date.now() + 86400_000);
  cert.setSubject([{ name: 'commonName', value: hosts[0] }]);
  cert.setIssuer(ca.forgeCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: hosts.map((h) => ({ type: 7, ip: h })) },
    { name: 'cRLDistributionPoints', altNames: [{ type: 6, value: crlUrl }] },
  ]);
  cert.sign(ca.forgeKey, forge.md.sha256.create());
  return {
    cert: forge.pki.certificateToPem(cert),
    key: forge.pki.privateKeyToPem(keys.privateKey),
    forgeCert: cert,
    forgeKey: keys.privateKey,
  };
}

function utcTime(d: Date) {
  return forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.UTCTIME, false, forge.asn1.dateToUtcTime(d));
}

/** A v2 CRL signed by `ca` listing `revokedSerials` (hex). */
export function makeCrl(ca: Issued, revokedSerials: string[], nextUpdate = new Date(Date.now() + 86400_000)): Buffer {
  const { asn1 } = forge;
  const sigAlg = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer('1.2.840.113549.1.1.11').getBytes()),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, ''),
  ]);
  const entries = revokedSerials.map((s) =>
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, forge.util.hexToBytes(s)),
      utcTime(new Date(Date.now() - 60_000)),
    ]),
  );
  const tbs = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, String.fromCharCode(1)),
    sigAlg,
    forge.pki.distinguishedNameToAsn1(ca.forgeCert.subject),
    utcTime(new Date(Date.now() - 3600_000)),
    utcTime(nextUpdate),
    ...(entries.length ? [asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, entries)] : []),
  ]);
  const md = forge.md.sha256.create();
  md.update(asn1.toDer(tbs).getBytes());
  const signature = ca.forgeKey.sign(md);
  const crl = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    tbs,
    sigAlg,
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, String.fromCharCode(0) + signature),
  ]);
  return Buffer.from(asn1.toDer(crl).getBytes(), 'binary');
}

export async function startCrlServer(): Promise<{
  url: string;
  setCrl(crl: Buffer | undefined): void;
  hits: number;
  close(): Promise<void>;
}> {
  let current: Buffer | undefined;
  const state = { hits: 0 };
  const server = http.createServer((_req, res) => {
    state.hits++;
    if (!current) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/pkix-crl' }).end(current);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/ca.crl`,
    setCrl: (c) => (current = c),
    get hits() {
      return state.hits;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
