// The rejection log as a read-only Markdown document (Show Certificate Rejections): all jobs, or one. It follows
// the log, so an open document redraws as rejections come in.
import * as vscode from 'vscode';
import { Disposable, MutableDisposable, toDisposable } from '../../core/lifecycle';
import type { CertificateService } from '../../core/tls/service';
import type { CommandContext } from '../commands/context';
import type { CertificateUi } from './certificateUi';
import { endpointSummaries, rejectionsMarkdown } from './rejectionsMarkdown';

export const REJECTIONS_SCHEME = 'managed-downloads-rejections';

/** The rejection log as a read-only Markdown document: all jobs, or one (its id in the query). */
export class RejectionsDocumentProvider extends Disposable implements vscode.TextDocumentContentProvider {
  private readonly changeEmitter = this._register(new vscode.EventEmitter<vscode.Uri>());
  private readonly subscription = this._register(new MutableDisposable());
  private pending: ReturnType<typeof setTimeout> | undefined;
  readonly onDidChange = this.changeEmitter.event;

  constructor(
    private readonly certificates: CertificateUi,
    private readonly ctx: CommandContext,
  ) {
    super();
    this._register(
      toDisposable(() => {
        if (this.pending) clearTimeout(this.pending);
      }),
    );
  }

  /** Follows the rejection log: a flood redraws open documents a few times a second, not once per rejection. */
  follow(service: CertificateService): void {
    this.subscription.value = service.rejections.onDidRecord(() => {
      this.pending ??= setTimeout(() => {
        this.pending = undefined;
        for (const doc of vscode.workspace.textDocuments) if (doc.uri.scheme === REJECTIONS_SCHEME) this.changeEmitter.fire(doc.uri);
      }, 250);
    });
  }

  static uriFor(jobId: string | undefined, title: string): vscode.Uri {
    return vscode.Uri.from({
      scheme: REJECTIONS_SCHEME,
      path: `/${title.replace(/[\\/:*?"<>|#%]/g, '_').slice(0, 80)}.md`,
      query: jobId ?? '',
    });
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const log = (await this.certificates.service()).rejections;
    if (!uri.query) return rejectionsMarkdown(vscode.l10n.t('Certificate rejections, all jobs'), log.endpoints(), log.entries());
    const records = log.entries({ jobId: uri.query });
    const name = this.ctx.model.get(uri.query)?.displayName ?? uri.query;
    return rejectionsMarkdown(vscode.l10n.t('Certificate rejections of "{0}"', name), endpointSummaries(records), records);
  }
}
