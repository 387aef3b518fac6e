// BITS's per-job cache of certificates that passed phase 2: <host:port, certificate sha256>. Only accepted
// certificates go in; a hit skips the validator (never phase 1).

export interface CacheEntry {
  endpoint: string;
  sha256: string;
  /** Subject of the certificate, for the UI. */
  subject: string;
  /** ISO time it was accepted. */
  acceptedAt: string;
}

export class CertificateCache {
  private readonly jobs = new Map<string, Map<string, CacheEntry>>();

  private static key(endpoint: string, sha256: string): string {
    return `${endpoint}\u0000${sha256}`;
  }

  has(jobId: string, endpoint: string, sha256: string): boolean {
    return this.jobs.get(jobId)?.has(CertificateCache.key(endpoint, sha256)) ?? false;
  }

  add(jobId: string, entry: CacheEntry): void {
    let entries = this.jobs.get(jobId);
    if (!entries) this.jobs.set(jobId, (entries = new Map()));
    entries.set(CertificateCache.key(entry.endpoint, entry.sha256), entry);
  }

  entries(jobId: string): CacheEntry[] {
    return [...(this.jobs.get(jobId)?.values() ?? [])];
  }

  clear(jobId: string): void {
    this.jobs.delete(jobId);
  }

  clearAll(): void {
    this.jobs.clear();
  }
}
