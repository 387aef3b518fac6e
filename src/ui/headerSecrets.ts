// Write-only headers (authorization tokens) of the jobs: kept in VS Code's SecretStorage (the OS keychain where
// there is one), one entry per job, never in the job store. The engine asks for them per request
// (JobEngine's headerSecrets option); only the header names are recorded with the job, for display.
import type * as vscode from 'vscode';

const KEY_PREFIX = 'managedDownloads.writeOnlyHeaders/';

export class HeaderSecrets {
  /** Read once per job and kept in memory, so requests do not wait on the keychain. */
  private readonly cache = new Map<string, Record<string, string>>();

  constructor(private readonly secrets: vscode.SecretStorage) {}

  async get(jobId: string): Promise<Record<string, string> | undefined> {
    const cached = this.cache.get(jobId);
    if (cached) return cached;
    const text = await this.secrets.get(KEY_PREFIX + jobId);
    if (!text) return undefined;
    try {
      const headers = JSON.parse(text) as Record<string, string>;
      this.cache.set(jobId, headers);
      return headers;
    } catch {
      return undefined;
    }
  }

  /** Sets (or, with value undefined, removes) one write-only header of a job. */
  async set(jobId: string, name: string, value: string | undefined): Promise<string[]> {
    const headers = { ...((await this.get(jobId)) ?? {}) };
    for (const existing of Object.keys(headers)) if (existing.toLowerCase() === name.toLowerCase()) delete headers[existing];
    if (value !== undefined) headers[name] = value;
    this.cache.set(jobId, headers);
    if (Object.keys(headers).length === 0) await this.secrets.delete(KEY_PREFIX + jobId);
    else await this.secrets.store(KEY_PREFIX + jobId, JSON.stringify(headers));
    return Object.keys(headers);
  }

  /** Sets several write-only headers of a job at once (a job made with them); returns every name it now has. */
  async setAll(jobId: string, values: Record<string, string>): Promise<string[]> {
    const headers = { ...((await this.get(jobId)) ?? {}) };
    for (const [name, value] of Object.entries(values)) {
      for (const existing of Object.keys(headers)) if (existing.toLowerCase() === name.toLowerCase()) delete headers[existing];
      headers[name] = value;
    }
    await this.secrets.store(KEY_PREFIX + jobId, JSON.stringify(headers));
    this.cache.set(jobId, headers);
    return Object.keys(headers);
  }

  /** Forgets every write-only header of a job (it was cancelled, acknowledged or removed). */
  async forget(jobId: string): Promise<void> {
    this.cache.delete(jobId);
    await this.secrets.delete(KEY_PREFIX + jobId);
  }
}
