// Write-only headers (authorization tokens) of the jobs: kept in VS Code's SecretStorage (the OS keychain where
// there is one), one entry per job, never in the job store. The engine asks for them per request
// (JobEngine's headerSecrets option); only the header names are recorded with the job, for display.
// SecretStorage is shared by the windows: a header set in one window is seen by the window that runs the jobs
// through SecretStorage's change event, which drops the value cached here. Every call has a time limit
// (secretStorageCalls.ts).
import type * as vscode from 'vscode';
import { Disposable, toDisposable } from '../core/lifecycle';
import { secretCall, SECRET_STORAGE_TIME_LIMIT_MS } from './secretStorageCalls';

const KEY_PREFIX = 'managedDownloads.writeOnlyHeaders/';

export class HeaderSecrets extends Disposable {
  /** Read once per job and kept in memory, so requests do not wait on the keychain. */
  private readonly cache = new Map<string, Record<string, string>>();
  /** Bumped when a job's entry changes, so a read that began before the change does not cache the old value. */
  private readonly generations = new Map<string, number>();

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly timeLimitMs = SECRET_STORAGE_TIME_LIMIT_MS,
  ) {
    super();
    this._register(toDisposable(() => this.cache.clear()));
    this._register(
      secrets.onDidChange((e) => {
        if (e.key.startsWith(KEY_PREFIX)) this.invalidate(e.key.slice(KEY_PREFIX.length));
      }),
    );
  }

  private invalidate(jobId: string): void {
    this.cache.delete(jobId);
    this.generations.set(jobId, (this.generations.get(jobId) ?? 0) + 1);
  }

  async get(jobId: string): Promise<Record<string, string> | undefined> {
    const cached = this.cache.get(jobId);
    if (cached) return cached;
    const generation = this.generations.get(jobId) ?? 0;
    const text = await secretCall(
      this.secrets.get(KEY_PREFIX + jobId),
      `reading the write-only headers of job ${jobId} (no request goes out without them)`,
      this.timeLimitMs,
    );
    if (!text) return undefined;
    try {
      const headers = JSON.parse(text) as Record<string, string>;
      if ((this.generations.get(jobId) ?? 0) === generation) this.cache.set(jobId, headers);
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
    await this.write(jobId, headers, `keeping the write-only header ${name} of job ${jobId} (it was not changed)`);
    return Object.keys(headers);
  }

  /** Sets several write-only headers of a job at once (a job made with them); returns every name it now has. */
  async setAll(jobId: string, values: Record<string, string>): Promise<string[]> {
    const headers = { ...((await this.get(jobId)) ?? {}) };
    for (const [name, value] of Object.entries(values)) {
      for (const existing of Object.keys(headers)) if (existing.toLowerCase() === name.toLowerCase()) delete headers[existing];
      headers[name] = value;
    }
    await this.write(jobId, headers, `keeping the write-only headers of job ${jobId}`);
    return Object.keys(headers);
  }

  /** Forgets every write-only header of a job (it was cancelled, acknowledged or removed). */
  async forget(jobId: string): Promise<void> {
    this.invalidate(jobId);
    await secretCall(this.secrets.delete(KEY_PREFIX + jobId), `forgetting the write-only headers of job ${jobId}`, this.timeLimitMs);
  }

  /** Stores the job's whole set (none: deletes the entry); the cache holds it only once the store answered. */
  private async write(jobId: string, headers: Record<string, string>, doing: string): Promise<void> {
    this.invalidate(jobId);
    const key = KEY_PREFIX + jobId;
    await secretCall(
      Object.keys(headers).length === 0 ? this.secrets.delete(key) : this.secrets.store(key, JSON.stringify(headers)),
      doing,
      this.timeLimitMs,
    );
    this.cache.set(jobId, headers);
  }
}
