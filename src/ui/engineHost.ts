// Opens the engine once, when it is first needed (or at activation when the store holds jobs to resume),
// so a window with no downloads pays nothing for the engine at startup.
import * as fs from 'node:fs/promises';
import type * as vscode from 'vscode';
import { t } from './l10n';
import type { DownloadEngine } from '../core/model/job';
import type { HeaderSecrets } from './headerSecrets';
import { isFinal } from './jobActions';
import type { Logger } from './log';

export class EngineHost {
  private opening: Promise<DownloadEngine> | undefined;
  private engine: DownloadEngine | undefined;
  private readonly openedListeners: ((engine: DownloadEngine) => void)[] = [];
  private disposed = false;

  constructor(
    readonly storeDir: string,
    private readonly open: (storeDir: string) => Promise<DownloadEngine>,
    private readonly log: Logger,
  ) {}

  /** The engine if it is already open. */
  get current(): DownloadEngine | undefined {
    return this.engine;
  }

  /** Runs `listener` once the engine is open (at once if it already is). */
  whenOpen(listener: (engine: DownloadEngine) => void): void {
    if (this.engine) listener(this.engine);
    else this.openedListeners.push(listener);
  }

  /** The engine, opening it on first use. */
  get(): Promise<DownloadEngine> {
    this.opening ??= this.openNow();
    return this.opening;
  }

  /** True when the store folder holds anything: there may be jobs to resume, so open the engine now. */
  async storeHasContent(): Promise<boolean> {
    try {
      return (await fs.readdir(this.storeDir)).length > 0;
    } catch {
      return false;
    }
  }

  private async openNow(): Promise<DownloadEngine> {
    const started = Date.now();
    try {
      const engine = await this.open(this.storeDir);
      if (this.disposed) {
        await engine.dispose();
        throw new Error('The extension is shutting down.');
      }
      this.engine = engine;
      this.log.info(`engine open on ${this.storeDir} with ${engine.listJobs().length} job(s) in ${Date.now() - started} ms`);
      for (const listener of this.openedListeners.splice(0)) listener(engine);
      return engine;
    } catch (err) {
      // Let the next use try again (e.g. after the user freed the disk) rather than caching the failure.
      this.opening = undefined;
      this.log.error(`could not open the job store ${this.storeDir}: ${String(err)}`);
      throw err;
    }
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const engine = this.engine;
    this.engine = undefined;
    if (engine) await engine.dispose();
  }
}

/** True while another process runs this store's jobs (this window shows them and forwards its commands). */
export function isFollower(engine: DownloadEngine): boolean {
  return engine.role === 'follower';
}

/**
 * While another window holds the store's lease, the view says so (its jobs show, its commands are forwarded);
 * the message goes when this window takes over. Write-only headers of finished jobs are forgotten here, by the
 * window that runs the jobs. An engine without a role (not shared through a lease) runs its jobs itself.
 */
export function followLease(engine: DownloadEngine, view: vscode.TreeView<unknown>, secrets: HeaderSecrets): { dispose(): void }[] {
  const subscriptions: { dispose(): void }[] = [
    engine.onDidChangeJob((e) => {
      if (e.kind === 'removed' || isFinal(e.job.state)) {
        if (!isFollower(engine)) {
          // A keychain that does not answer (a lost window) leaves the entry for the next finish or clean-up.
          secrets.forget(e.job.id).catch(() => undefined);
        }
      }
    }),
  ];
  const { onDidChangeRole, holderText } = engine;
  if (!onDidChangeRole || !holderText) return subscriptions;
  const show = async () => {
    view.message = isFollower(engine)
      ? t(
          'Another window runs these jobs: {0}. Commands here are passed to it; this window takes over when it closes.',
          await holderText.call(engine),
        )
      : undefined;
  };
  void show();
  subscriptions.push(onDidChangeRole(() => void show()));
  return subscriptions;
}
