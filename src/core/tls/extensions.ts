// The X.509 extensions phase 1 needs and Node's X509Certificate does not expose: key usage bits and
// CRL distribution points.
import { children, contentOf, decodeOid, DerTag, readTlv } from './der';

export const ExtensionOid = {
  KEY_USAGE: '2.5.29.15',
  EXT_KEY_USAGE: '2.5.29.37',
  CRL_DISTRIBUTION_POINTS: '2.5.29.31',
  BASIC_CONSTRAINTS: '2.5.29.19',
  NAME_CONSTRAINTS: '2.5.29.30',
  SUBJECT_ALT_NAME: '2.5.29.17',
} as const;

export const EkuOid = {
  SERVER_AUTH: '1.3.6.1.5.5.7.3.1',
  ANY: '2.5.29.37.0',
} as const;

export interface Extension {
  critical: boolean;
  /** The extension's value: the contents of its OCTET STRING (itself DER). */
  value: Buffer;
}

/** Every extension of a DER certificate, by OID. */
export function readExtensions(der: Buffer): Map<string, Extension> {
  const out = new Map<string, Extension>();
  const cert = readTlv(der, 0);
  const tbs = children(der, cert)[0];
  const explicitExtensions = children(der, tbs).find((t) => t.tag === 0xa3);
  if (!explicitExtensions) return out;
  const list = children(der, explicitExtensions)[0];
  for (const ext of children(der, list)) {
    const parts = children(der, ext);
    const oid = decodeOid(contentOf(der, parts[0]));
    const critical = parts.length === 3 && parts[1].tag === DerTag.BOOLEAN && der[parts[1].contentStart] !== 0;
    out.set(oid, { critical, value: contentOf(der, parts[parts.length - 1]) });
  }
  return out;
}

export interface KeyUsage {
  digitalSignature: boolean;
  keyEncipherment: boolean;
  keyAgreement: boolean;
  keyCertSign: boolean;
}

/** The keyUsage bits, or undefined when the certificate has no keyUsage extension (any use allowed). */
export function keyUsageOf(extensions: Map<string, Extension>): KeyUsage | undefined {
  const ext = extensions.get(ExtensionOid.KEY_USAGE);
  if (!ext) return undefined;
  const bits = readTlv(ext.value, 0);
  const bytes = contentOf(ext.value, bits).subarray(1); // first byte: count of unused bits
  const bit = (n: number) => ((bytes[n >> 3] ?? 0) & (0x80 >> (n & 7))) !== 0;
  return { digitalSignature: bit(0), keyEncipherment: bit(2), keyAgreement: bit(4), keyCertSign: bit(5) };
}

/** http(s) URLs of the CRL distribution points (full names only; LDAP and relative names are not fetched). */
export function crlUrlsOf(extensions: Map<string, Extension>): string[] {
  const ext = extensions.get(ExtensionOid.CRL_DISTRIBUTION_POINTS);
  if (!ext) return [];
  const urls: string[] = [];
  const v = ext.value;
  for (const point of children(v, readTlv(v, 0))) {
    const name = children(v, point).find((t) => t.tag === 0xa0);
    if (!name) continue;
    const fullName = children(v, name).find((t) => t.tag === 0xa0);
    if (!fullName) continue;
    for (const general of children(v, fullName)) {
      if (general.tag !== 0x86) continue; // [6] uniformResourceIdentifier
      const url = contentOf(v, general).toString('latin1');
      if (/^https?:\/\//i.test(url)) urls.push(url);
    }
  }
  return urls;
}
