// The Job Options editor: one webview panel per job. It shows the job's options, applies what the person saves
// (write-only values to the secret store first, then one setProperties and the priority), and keeps the page
// told of what changes meanwhile (state, transferred files, client certificate) without touching unsaved edits.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { JobSnapshot } from '../../core/model/job';
import { describeError } from '../commands/runner';
import { CommandIds } from '../commands/ids';
import type { CommandContext } from '../commands/context';
import type { HeaderSecrets } from '../headerSecrets';
import { checkValues, parseMessage, planIsEmpty, valuesOf, type FormValues, type SavePlan } from './form';
import { t } from '../l10n';
import { formHtml, jobViewOf } from './html';

export const JOB_OPTIONS_VIEW_TYPE = 'managedDownloads.jobOptions';

export class JobOptionsPanels implements vscode.Disposable {
  private readonly open = new Map<string, vscode.WebviewPanel>();

  constructor(
    private readonly ctx: CommandContext,
    private readonly secrets: HeaderSecrets,
  ) {}

  /** Opens (or brings forward) the form of a job. */
  show(job: JobSnapshot): void {
    const existing = this.open.get(job.id);
    if (existing) return existing.reveal();
    const panel = vscode.window.createWebviewPanel(
      JOB_OPTIONS_VIEW_TYPE,
      t('Job Options: {0}', job.displayName),
      vscode.ViewColumn.Active,
      {
        enableScripts: true,
        // The page loads nothing: its style and script are inline under the nonce.
        localResourceRoots: [],
        // Unsaved edits survive switching tabs.
        retainContextWhenHidden: true,
      },
    );
    this.open.set(job.id, panel);
    panel.webview.html = formHtml({
      job,
      values: valuesOf(job),
      nonce: randomBytes(18).toString('base64'),
      cspSource: panel.webview.cspSource,
      t,
    });
    let lastView = JSON.stringify(jobViewOf(job));
    const subscriptions: vscode.Disposable[] = [
      panel.webview.onDidReceiveMessage((raw: unknown) => void this.onMessage(panel, job.id, raw)),
      this.ctx.model.onDidChange((change) => {
        if (!change.changed.includes(job.id) && !change.structural) return;
        const now = this.ctx.model.get(job.id);
        const view = now ? jobViewOf(now) : { ...jobViewOf(job), editable: false, state: t('gone') };
        // Progress changes the job many times a second; the page hears only of what it shows.
        const text = JSON.stringify(view);
        if (text === lastView) return;
        lastView = text;
        void panel.webview.postMessage({ type: 'view', view });
      }),
    ];
    panel.onDidDispose(() => {
      this.open.delete(job.id);
      for (const s of subscriptions) s.dispose();
    });
  }

  private async onMessage(panel: vscode.WebviewPanel, jobId: string, raw: unknown): Promise<void> {
    const message = parseMessage(raw);
    if (!message) return;
    try {
      switch (message.type) {
        case 'cancel':
          return panel.dispose();
        case 'chooseClientCertificate':
          // The same flow as the command (PEM or PKCS#12, file or secret copy, passphrase); it reports its own errors.
          await vscode.commands.executeCommand(CommandIds.setClientCertificate, jobId);
          return;
        case 'removeClientCertificate':
          await vscode.commands.executeCommand(CommandIds.setClientCertificate, jobId, null);
          return;
        case 'save':
          return await this.save(panel, jobId, message.values, message.start);
      }
    } catch (err) {
      void panel.webview.postMessage({ type: 'errors', errors: { form: describeError(err) } });
    }
  }

  private async save(panel: vscode.WebviewPanel, jobId: string, values: FormValues, start: boolean): Promise<void> {
    const engine = await this.ctx.engines.get();
    const job = engine.getJob(jobId);
    if (!job) throw new Error(t('The job is no longer in the list (it was completed or cancelled, and cleared).'));
    const checked = checkValues(values, job, t);
    if (!checked.ok) return void panel.webview.postMessage({ type: 'errors', errors: checked.errors });
    const { plan } = checked;
    if (!planIsEmpty(plan)) await this.apply(jobId, plan);
    this.ctx.log.info(`job ${jobId}: options saved (${describePlan(plan)})`);
    // The options are in place before the first byte: the job starts only now (a refusal shows on the form).
    if (start) {
      await engine.resume(jobId);
      this.ctx.log.info(`job ${jobId}: started from Job Options`);
    }
    panel.dispose();
    vscode.window.setStatusBarMessage(
      start
        ? t('Saved the options of "{0}" and started it.', values.displayName.trim())
        : t('Saved the options of "{0}".', values.displayName.trim()),
      5000,
    );
  }

  /** Secrets first (the engine reads them per request), then the job; a refused change puts the secrets back. */
  private async apply(jobId: string, plan: SavePlan): Promise<void> {
    const previous = { ...((await this.secrets.get(jobId)) ?? {}) };
    const touched = [...plan.secretRemovals, ...Object.keys(plan.secretValues)];
    try {
      for (const name of plan.secretRemovals) await this.secrets.set(jobId, name, undefined);
      if (Object.keys(plan.secretValues).length) await this.secrets.setAll(jobId, plan.secretValues);
      const engine = await this.ctx.engines.get();
      if (Object.keys(plan.patch).length) await engine.setProperties(jobId, plan.patch);
      if (plan.priority !== undefined) await engine.setPriority(jobId, plan.priority);
    } catch (err) {
      for (const name of touched) await this.secrets.set(jobId, name, previous[name]).catch(() => undefined);
      throw err;
    }
  }

  dispose(): void {
    for (const panel of [...this.open.values()]) panel.dispose();
  }
}

/** For the log: which options changed, never a header value. */
function describePlan(plan: SavePlan): string {
  const parts = Object.keys(plan.patch).filter((k) => k !== 'writeOnlyHeaderNames');
  if (plan.priority !== undefined) parts.push('priority');
  if (Object.keys(plan.secretValues).length || plan.secretRemovals.length) parts.push('write-only headers');
  return parts.length ? parts.join(', ') : 'nothing changed';
}
