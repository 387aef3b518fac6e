// Commands that show things: Show Job Details, Show Log, Reveal File, Copy URL, Clear Finished Jobs.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { BitsError, Codes } from '../../core/errors';
import { JobDetailsProvider } from '../details';
import { fileIsDelivered } from '../jobActions';
import type { DownloadHistory } from '../history';
import type { UserMessages } from '../messages';
import { fileFromArgs, jobIdsFromArgs, pickJob, requireJob } from '../pickers';
import type { CommandContext, CommandDefinition } from './context';
import { CommandIds } from './ids';
import { historyEntriesFromArgs } from './manage';

/**
 * Shows a file or folder where the person can find it: the Explorer when it is inside the workspace
 * (works in the browser too), else the operating system's file manager, else (a browser has none) a
 * message with the path and a button to copy it.
 */
export async function revealPath(target: string, messages: UserMessages): Promise<'explorer' | 'os' | 'message'> {
  const uri = vscode.Uri.file(target);
  if (vscode.workspace.getWorkspaceFolder(uri)) {
    await vscode.commands.executeCommand('revealInExplorer', uri);
    return 'explorer';
  }
  if ((await vscode.commands.getCommands(true)).includes('revealFileInOS')) {
    try {
      await vscode.commands.executeCommand('revealFileInOS', uri);
      return 'os';
    } catch {
      // e.g. a remote window whose client cannot open the server's file manager: fall through
    }
  }
  messages.show('info', vscode.l10n.t('The file is at {0} (outside the workspace).', target), {
    [vscode.l10n.t('Copy Path')]: () => vscode.env.clipboard.writeText(target),
  });
  return 'message';
}

export function viewCommands(ctx: CommandContext, showLog: () => void, history?: DownloadHistory): CommandDefinition[] {
  return [
    { id: CommandIds.showLog, handler: () => showLog() },
    {
      id: CommandIds.showJobDetails,
      handler: async (...args) => {
        const ids = jobIdsFromArgs(args[0], args[1]);
        const job = ids.length ? requireJob(ctx.model, ids[0]) : await pickJob(ctx.model, undefined, vscode.l10n.t('Show Job Details'));
        const doc = await vscode.workspace.openTextDocument(JobDetailsProvider.uriFor(job.id, job.displayName));
        await vscode.window.showTextDocument(doc, { preview: true });
        return doc.uri;
      },
    },
    {
      id: CommandIds.revealFile,
      handler: async (...args) => {
        const target = fileFromArgs(ctx.model, args[0]);
        const job =
          target?.job ??
          (jobIdsFromArgs(args[0]).length
            ? requireJob(ctx.model, jobIdsFromArgs(args[0])[0])
            : await pickJob(ctx.model, undefined, vscode.l10n.t('Reveal File')));
        const files = target ? [job.files[target.index]] : job.files;
        const delivered = files.find((f) => f && fileIsDelivered(job, f));
        if (!delivered) {
          throw new BitsError(
            Codes.BG_E_INVALID_STATE,
            vscode.l10n.t(
              '"{0}" has no completed file to reveal yet: files appear at their destination only when the job is completed.',
              job.displayName,
            ),
          );
        }
        const where = await revealPath(delivered.localPath, ctx.messages);
        return { path: delivered.localPath, where };
      },
    },
    {
      id: CommandIds.copyUrl,
      handler: async (...args) => {
        const entries = history ? historyEntriesFromArgs(history, args[0], args[1]) : [];
        let urls: string[];
        if (entries.length) urls = [...new Set(entries.flatMap((e) => e.files.map((f) => f.remoteUrl)))];
        else {
          const target = fileFromArgs(ctx.model, args[0]);
          const job =
            target?.job ??
            (jobIdsFromArgs(args[0]).length
              ? requireJob(ctx.model, jobIdsFromArgs(args[0])[0])
              : await pickJob(ctx.model, undefined, vscode.l10n.t('Copy URL')));
          urls = target ? [job.files[target.index].remoteUrl] : job.files.map((f) => f.remoteUrl);
          if (urls.length === 0)
            throw new BitsError(Codes.BG_E_EMPTY, vscode.l10n.t('"{0}" has no files, so there is no URL to copy.', job.displayName));
        }
        const text = urls.join('\n');
        await vscode.env.clipboard.writeText(text);
        vscode.window.setStatusBarMessage(
          urls.length === 1
            ? vscode.l10n.t('Copied {0}', path.basename(new URL(urls[0]).pathname) || vscode.l10n.t('the URL'))
            : vscode.l10n.t('Copied {0} URLs', urls.length),
          3000,
        );
        return text;
      },
    },
    {
      id: CommandIds.clearFinished,
      handler: () => {
        // Each finished job went to the History when it finished; clearing only takes it off the list.
        const removed = ctx.model.clearFinished();
        ctx.log.info(`cleared ${removed.length} finished job(s) from the view (kept in the History)`);
        return removed;
      },
    },
  ];
}
