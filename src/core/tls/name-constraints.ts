// RFC 5280 name constraints (4.2.1.10) on DNS names and IP addresses, the kinds a TLS server certificate
// carries. A constraint of another kind (directoryName, email, URI) cannot be checked here, so a certificate
// under one fails closed: this runs only when a flag relaxed what OpenSSL reported, and then nothing OpenSSL
// would refuse may pass.
import type { X509Certificate } from 'node:crypto';
import { children, contentOf, readTlv, type Tlv } from './der';
import { ExtensionOid, readExtensions } from './extensions';

const DNS = 0x82;
const IP = 0x87;

interface Subtrees {
  dns: string[];
  ip: Buffer[];
  /** Constraint kinds this code does not evaluate (by GeneralName tag). */
  other: number[];
}

function subtrees(der: Buffer, list: Tlv | undefined): Subtrees {
  const out: Subtrees = { dns: [], ip: [], other: [] };
  if (!list) return out;
  for (const subtree of children(der, list)) {
    const base = children(der, subtree)[0];
    if (base.tag === DNS) out.dns.push(contentOf(der, base).toString('latin1').toLowerCase());
    else if (base.tag === IP) out.ip.push(contentOf(der, base));
    else out.other.push(base.tag);
  }
  return out;
}

interface Names {
  dns: string[];
  ip: Buffer[];
  other: number[];
}

function namesOf(cert: X509Certificate, isLeaf: boolean): Names {
  const out: Names = { dns: [], ip: [], other: [] };
  const san = readExtensions(cert.raw).get(ExtensionOid.SUBJECT_ALT_NAME);
  if (san) {
    for (const name of children(san.value, readTlv(san.value, 0))) {
      if (name.tag === DNS) out.dns.push(contentOf(san.value, name).toString('latin1').toLowerCase());
      else if (name.tag === IP) out.ip.push(contentOf(san.value, name));
      else out.other.push(name.tag);
    }
  }
  // Like OpenSSL, a leaf with no DNS name in its SAN is checked on a host-like common name.
  if (isLeaf && out.dns.length === 0) {
    const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1];
    if (cn && /^[a-z0-9*.-]+\.[a-z0-9-]+$/i.test(cn)) out.dns.push(cn.toLowerCase());
  }
  return out;
}

function dnsWithin(name: string, constraint: string): boolean {
  const bare = name.startsWith('*.') ? name.slice(2) : name;
  if (constraint.startsWith('.')) return bare.endsWith(constraint) || (name.startsWith('*.') && `.${bare}`.endsWith(constraint));
  return bare === constraint || bare.endsWith(`.${constraint}`);
}

function dnsOverlaps(name: string, excluded: string): boolean {
  // A wildcard covers every name one label below its base: it overlaps an excluded name there too.
  if (dnsWithin(name, excluded)) return true;
  return name.startsWith('*.') && dnsWithin(excluded.replace(/^\./, 'x.'), name.slice(2));
}

function ipWithin(address: Buffer, constraint: Buffer): boolean {
  const length = constraint.length / 2;
  if (address.length !== length) return false;
  for (let i = 0; i < length; i++) if ((address[i] & constraint[length + i]) !== (constraint[i] & constraint[length + i])) return false;
  return true;
}

function ipText(address: Buffer): string {
  return address.length === 4 ? [...address].join('.') : address.toString('hex').replace(/(.{4})(?!$)/g, '$1:');
}

/** Why `cert` falls outside the NameConstraints extension value `value`, or undefined when it does not. */
export function nameConstraintProblem(value: Buffer, cert: X509Certificate, isLeaf = true): string | undefined {
  const fields = children(value, readTlv(value, 0));
  const permitted = subtrees(
    value,
    fields.find((f) => f.tag === 0xa0),
  );
  const excluded = subtrees(
    value,
    fields.find((f) => f.tag === 0xa1),
  );
  if (permitted.other.length > 0 || excluded.other.length > 0) {
    return 'it has name constraints of a kind other than DNS names and IP addresses, which cannot be checked here';
  }
  const names = namesOf(cert, isLeaf);
  for (const dns of names.dns) {
    if (permitted.dns.length > 0 && !permitted.dns.some((c) => dnsWithin(dns, c)))
      return `the name ${dns} is outside the permitted ${permitted.dns.join(', ')}`;
    const hit = excluded.dns.find((c) => dnsOverlaps(dns, c));
    if (hit) return `the name ${dns} is inside the excluded ${hit}`;
  }
  for (const ip of names.ip) {
    if (permitted.ip.length > 0 && !permitted.ip.some((c) => ipWithin(ip, c)))
      return `the address ${ipText(ip)} is outside the permitted ranges`;
    if (excluded.ip.some((c) => ipWithin(ip, c))) return `the address ${ipText(ip)} is inside an excluded range`;
  }
  return undefined;
}
