// The roots phase 1 trusts: what VS Code's Node trusts (Node's bundled roots, the operating system's store
// where this Node exposes it, NODE_EXTRA_CA_CERTS) plus extra CA files from the settings.
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as tls from 'node:tls';
import type { AnchorSet } from './chain';
import { bytesOf, children, DerError, DerTag, readTlv } from './der';

export interface TrustOptions {
  /** PEM files of extra CAs (setting managedDownloads.extraCaFiles, or the CLI's --ca-file). */
  extraCaFiles?: readonly string[];
  /** Extra CAs given as PEM text. */
  extraCaPem?: readonly string[];
  /** Include Node's bundled roots and the system store (default true; tests turn it off for speed). */
  includeDefaultRoots?: boolean;
  /** Environment to read NODE_EXTRA_CA_CERTS from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export function splitPem(text: string): string[] {
  return text.match(PEM_BLOCK) ?? [];
}

type CaCertificatesFn = (kind: 'default' | 'system' | 'bundled' | 'extra') => string[];

/** Node's own roots: bundled, and on Node >= 22.15 / 23.5 (code-server's Node 24) the system store too. */
function platformRoots(): string[] {
  const getCACertificates = (tls as unknown as { getCACertificates?: CaCertificatesFn }).getCACertificates;
  if (!getCACertificates) return [...tls.rootCertificates];
  const roots = [...getCACertificates('bundled')];
  try {
    roots.push(...getCACertificates('system'));
  } catch {
    // A system store that cannot be read leaves the bundled roots, as Node itself does.
  }
  return roots;
}

/**
 * The roots, indexed without being parsed: building X509Certificate objects for Node's ~145 bundled roots took
 * ~20 ms at each process's first connection (a third of the CLI's start-up), while a chain needs one or two
 * of them. So each root is kept as DER, keyed by the exact bytes of its subject name and by its SHA-256,
 * and parsed when a chain asks for it. Byte-equal names are what issuers and subjects carry in practice;
 * a chain whose issuer is encoded differently from its root's subject (another string type) still finds it:
 * when no bytes match, the store parses every root once and compares names as Node prints them, as before.
 */
export class TrustStore implements AnchorSet {
  private readonly bySubjectBytes = new Map<string, Root[]>();
  private readonly fingerprints = new Set<string>();
  private readonly roots: Root[] = [];
  /** Every trusted certificate as PEM, once each: what OpenSSL verifies against in the handshake. */
  readonly pems: string[] = [];
  private bySubjectText?: Map<string, X509Certificate[]>;
  /** Files or entries that could not be used, each with its reason; shown in the log, never fatal. */
  readonly problems: string[] = [];

  /** Whether Node's own roots are in the store (the handshake then starts from Node's root store). */
  readonly includesNodeRoots: boolean;

  constructor(options: TrustOptions = {}) {
    const env = options.env ?? process.env;
    const pems: string[] = [];
    this.includesNodeRoots = options.includeDefaultRoots !== false;
    if (this.includesNodeRoots) pems.push(...platformRoots());
    const files = [...(env.NODE_EXTRA_CA_CERTS ? [env.NODE_EXTRA_CA_CERTS] : []), ...(options.extraCaFiles ?? [])];
    for (const file of files) {
      try {
        const found = splitPem(readFileSync(file, 'utf8'));
        if (found.length === 0) this.problems.push(`${file}: no PEM certificate found`);
        pems.push(...found);
      } catch (e) {
        this.problems.push(`${file}: ${(e as Error).message}`);
      }
    }
    for (const text of options.extraCaPem ?? []) pems.push(...splitPem(text));
    for (const pem of pems) this.add(pem);
  }

  get size(): number {
    return this.fingerprints.size;
  }

  private add(pem: string): void {
    const der = Buffer.from(pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, ''), 'base64');
    let subject: Buffer;
    try {
      subject = namesOf(der).subject;
    } catch (e) {
      this.problems.push(`a CA certificate could not be parsed: ${(e as Error).message}`);
      return;
    }
    const fingerprint = sha256(der);
    if (this.fingerprints.has(fingerprint)) return;
    this.fingerprints.add(fingerprint);
    this.pems.push(pem);
    const root: Root = { der };
    this.roots.push(root);
    const key = subject.toString('latin1');
    const list = this.bySubjectBytes.get(key) ?? [];
    list.push(root);
    this.bySubjectBytes.set(key, list);
  }

  isAnchor(cert: X509Certificate): boolean {
    return this.fingerprints.has(sha256(cert.raw));
  }

  candidatesFor(cert: X509Certificate): X509Certificate[] {
    let issuer: Buffer;
    try {
      issuer = namesOf(cert.raw).issuer;
    } catch {
      return this.candidatesByText(cert);
    }
    const byBytes = this.bySubjectBytes.get(issuer.toString('latin1'));
    if (!byBytes) return this.candidatesByText(cert);
    return byBytes.flatMap((root) => parsed(root, this.problems));
  }

  private candidatesByText(cert: X509Certificate): X509Certificate[] {
    if (!this.bySubjectText) {
      this.bySubjectText = new Map();
      for (const root of this.roots) {
        for (const parsedRoot of parsed(root, this.problems)) {
          const list = this.bySubjectText.get(parsedRoot.subject) ?? [];
          list.push(parsedRoot);
          this.bySubjectText.set(parsedRoot.subject, list);
        }
      }
    }
    return this.bySubjectText.get(cert.issuer) ?? [];
  }
}

interface Root {
  der: Buffer;
  /** Parsed on first use; null when Node cannot parse it (reported once in problems). */
  cert?: X509Certificate | null;
}

function parsed(root: Root, problems: string[]): X509Certificate[] {
  if (root.cert === undefined) {
    try {
      root.cert = new X509Certificate(root.der);
    } catch (e) {
      root.cert = null;
      problems.push(`a CA certificate could not be parsed: ${(e as Error).message}`);
    }
  }
  return root.cert ? [root.cert] : [];
}

function sha256(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}

/** The issuer and subject names of a certificate, as the exact DER bytes it carries. */
function namesOf(der: Buffer): { issuer: Buffer; subject: Buffer } {
  const certificate = readTlv(der, 0);
  if (certificate.tag !== DerTag.SEQUENCE) throw new DerError('not a certificate (no outer SEQUENCE)');
  const tbs = children(der, certificate)[0];
  if (!tbs || tbs.tag !== DerTag.SEQUENCE) throw new DerError('not a certificate (no tbsCertificate)');
  const fields = children(der, tbs);
  // tbsCertificate: [0] version (optional), serialNumber, signature, issuer, validity, subject, ...
  const first = fields[0]?.tag === 0xa0 ? 1 : 0;
  const issuer = fields[first + 2];
  const subject = fields[first + 4];
  if (issuer?.tag !== DerTag.SEQUENCE || subject?.tag !== DerTag.SEQUENCE)
    throw new DerError('not a certificate (no issuer or subject name)');
  return { issuer: bytesOf(der, issuer), subject: bytesOf(der, subject) };
}
