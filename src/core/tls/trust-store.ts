// The roots phase 1 trusts: what VS Code's Node trusts (Node's bundled roots, the operating system's store
// where this Node exposes it, NODE_EXTRA_CA_CERTS) plus extra CA files from the settings.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as tls from 'node:tls';
import type { AnchorSet } from './chain';

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

export class TrustStore implements AnchorSet {
  private readonly bySubject = new Map<string, X509Certificate[]>();
  private readonly fingerprints = new Set<string>();
  /** Files or entries that could not be used, each with its reason; shown in the log, never fatal. */
  readonly problems: string[] = [];

  constructor(options: TrustOptions = {}) {
    const env = options.env ?? process.env;
    const pems: string[] = [];
    if (options.includeDefaultRoots !== false) pems.push(...platformRoots());
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
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(pem);
    } catch (e) {
      this.problems.push(`a CA certificate could not be parsed: ${(e as Error).message}`);
      return;
    }
    if (this.fingerprints.has(cert.fingerprint256)) return;
    this.fingerprints.add(cert.fingerprint256);
    const list = this.bySubject.get(cert.subject) ?? [];
    list.push(cert);
    this.bySubject.set(cert.subject, list);
  }

  isAnchor(cert: X509Certificate): boolean {
    return this.fingerprints.has(cert.fingerprint256);
  }

  candidatesFor(cert: X509Certificate): X509Certificate[] {
    return this.bySubject.get(cert.issuer) ?? [];
  }
}
