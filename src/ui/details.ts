// "Show Job Details": a read-only Markdown document per job, served from memory and kept current while open.
import * as vscode from 'vscode';
import { Disposable } from '../core/lifecycle';
import { jobDetailsMarkdown } from './jobMarkdown';
import type { JobsModel } from './jobsModel';

export const DETAILS_SCHEME = 'managed-downloads';

export class JobDetailsProvider extends Disposable implements vscode.TextDocumentContentProvider {
  private readonly changeEmitter = this._register(new vscode.EventEmitter<vscode.Uri>());
  readonly onDidChange = this.changeEmitter.event;

  constructor(private readonly model: JobsModel) {
    super();
    this._register(
      model.onDidChange((change) => {
        const changed = new Set(change.changed);
        for (const doc of vscode.workspace.textDocuments) {
          if (doc.uri.scheme === DETAILS_SCHEME && changed.has(doc.uri.query)) this.changeEmitter.fire(doc.uri);
        }
      }),
    );
  }

  /** The document's address: the job's name as the title, its id in the query. */
  static uriFor(jobId: string, displayName: string): vscode.Uri {
    const title = displayName.replace(/[\\/:*?"<>|#%]/g, '_').slice(0, 80) || 'job';
    return vscode.Uri.from({ scheme: DETAILS_SCHEME, path: `/${title} (details).md`, query: jobId });
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    const job = this.model.get(uri.query);
    if (!job)
      return `# ${vscode.l10n.t('Job not found')}\n\n${vscode.l10n.t('The job `{0}` is no longer in the list (it was completed or cancelled, and cleared).', uri.query)}\n`;
    return jobDetailsMarkdown(job, this.model.progress(job.id));
  }
}
