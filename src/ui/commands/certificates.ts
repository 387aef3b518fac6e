// Commands around certificate validation: Open / Reload Certificate Validator, Clear Certificate Cache,
// Show Certificate Rejections. Registered only when certificate validation is wired (see extension.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { BitsError, Codes } from '../../core/errors';
import type { CertificateUi } from '../certificates/certificateUi';
import { jobIdsFromArgs, requireJob } from '../pickers';
import { RejectionsDocumentProvider } from '../certificates/rejectionsDocument';
import { configuredValidatorFile } from '../certificates/validatorBinding';
import type { CommandContext, CommandDefinition } from './context';
import { CommandIds } from './ids';

function openSettingAction(): () => Thenable<unknown> {
  return () => vscode.commands.executeCommand('workbench.action.openWorkspaceSettings', 'managedDownloads.certificateValidator');
}

export function certificateCommands(ctx: CommandContext, certificates: CertificateUi): CommandDefinition[] {
  return [
    {
      id: CommandIds.openValidator,
      handler: async () => {
        // The file the validator binding loads, by the binding's own reading of the setting.
        const file = configuredValidatorFile();
        if (!file) {
          ctx.messages.show(
            'info',
            vscode.l10n.t('No certificate validator is set. Name a TypeScript file in the setting managedDownloads.certificateValidator.'),
            {
              [vscode.l10n.t('Open Setting')]: openSettingAction(),
            },
          );
          return undefined;
        }
        if (!fs.existsSync(file)) {
          throw new BitsError(
            Codes.E_FILE_NOT_FOUND,
            vscode.l10n.t(
              'The certificate validator {0} does not exist. Create it, or change the setting managedDownloads.certificateValidator.',
              file,
            ),
          );
        }
        const editor = await vscode.window.showTextDocument(vscode.Uri.file(file));
        return editor.document.uri;
      },
    },
    {
      id: CommandIds.reloadValidator,
      handler: async () => {
        const state = await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Reloading the certificate validator') },
          () => certificates.reloadValidator(),
        );
        ctx.log.info(`certificate validator reloaded by command: ${state.status}`);
        switch (state.status) {
          case 'loaded':
            ctx.messages.show(
              'info',
              vscode.l10n.t('Certificate validator {0} reloaded; certificate caches cleared.', path.basename(state.file)),
            );
            break;
          case 'compile-error':
            ctx.messages.show(
              'error',
              vscode.l10n.t('The certificate validator {0} does not compile: {1}', path.basename(state.file), state.message),
              {
                [vscode.l10n.t('Open Validator')]: () => vscode.commands.executeCommand(CommandIds.openValidator),
              },
            );
            break;
          case 'missing':
            ctx.messages.show('error', vscode.l10n.t('The certificate validator {0} does not exist.', state.file), {
              [vscode.l10n.t('Open Setting')]: openSettingAction(),
            });
            break;
          case 'untrusted':
            ctx.messages.show(
              'warning',
              vscode.l10n.t('This workspace is not trusted, so its certificate validator is not run. Trust the workspace to use it.'),
              {
                [vscode.l10n.t('Manage Workspace Trust')]: () => vscode.commands.executeCommand('workbench.trust.manage'),
              },
            );
            break;
          case 'unset':
            ctx.messages.show('info', vscode.l10n.t('No certificate validator is set (managedDownloads.certificateValidator).'), {
              [vscode.l10n.t('Open Setting')]: openSettingAction(),
            });
            break;
        }
        return state.status;
      },
    },
    {
      id: CommandIds.clearCertificateCache,
      handler: async (...args) => {
        const ids = jobIdsFromArgs(args[0], args[1]);
        for (const id of ids) requireJob(ctx.model, id);
        const service = await certificates.service();
        if (ids.length === 0) service.clearCache();
        else ids.forEach((id) => service.clearCache(id));
        ctx.tree.refreshJobs(ids.length ? ids : ctx.model.list().map((j) => j.id));
        ctx.log.info(`certificate cache cleared for ${ids.length ? ids.join(', ') : 'every job'}`);
        vscode.window.setStatusBarMessage(
          ids.length ? vscode.l10n.t('Certificate cache of the job cleared') : vscode.l10n.t('Certificate caches cleared'),
          3000,
        );
        return ids.length ? ids : 'all';
      },
    },
    {
      id: CommandIds.showCertificateRejections,
      handler: async (...args) => {
        const [jobId] = jobIdsFromArgs(args[0], args[1]);
        const job = jobId ? requireJob(ctx.model, jobId) : undefined;
        const uri = RejectionsDocumentProvider.uriFor(
          job?.id,
          job ? vscode.l10n.t('{0} (certificate rejections)', job.displayName) : vscode.l10n.t('Certificate rejections'),
        );
        const doc = await vscode.workspace.openTextDocument(uri);
        await vscode.window.showTextDocument(doc, { preview: true });
        return doc.uri;
      },
    },
  ];
}
