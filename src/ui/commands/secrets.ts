// "Set Write-Only Header": an authorization token (or any header) for one job, kept in VS Code's SecretStorage and
// sent with the job's requests, never written to the job store, the log, a tooltip or a message. Called with
// (jobId, name, value) by other extensions, or interactively (the value is typed in a password box).
import * as vscode from 'vscode';
import { BitsError, Codes } from '../../core/errors';
import { checkHeaders } from '../../core/model/validation';
import type { HeaderSecrets } from '../headerSecrets';
import { pickJob, requireJob } from '../pickers';
import type { CommandContext, CommandDefinition } from './context';
import { CommandIds } from './ids';
import { UserCancelled } from './runner';

export function secretCommands(ctx: CommandContext, secrets: HeaderSecrets): CommandDefinition[] {
  return [
    {
      id: CommandIds.setWriteOnlyHeader,
      handler: async (jobArg?: unknown, nameArg?: unknown, valueArg?: unknown) => {
        const job =
          typeof jobArg === 'string'
            ? requireJob(ctx.model, jobArg)
            : await pickJob(ctx.model, undefined, vscode.l10n.t('Set Write-Only Header'));
        const name =
          typeof nameArg === 'string'
            ? nameArg
            : await vscode.window.showInputBox({
                title: vscode.l10n.t('Set Write-Only Header'),
                prompt: vscode.l10n.t('Header name (e.g. Authorization)'),
                value: 'Authorization',
                ignoreFocusOut: true,
              });
        if (name === undefined) throw new UserCancelled();
        const value =
          valueArg === null
            ? undefined
            : typeof valueArg === 'string'
              ? valueArg
              : await vscode.window.showInputBox({
                  title: vscode.l10n.t('Set Write-Only Header: {0}', name),
                  prompt: vscode.l10n.t('Value (kept in the secret store; empty removes the header)'),
                  password: true,
                  ignoreFocusOut: true,
                });
        if (value === undefined && valueArg !== null) throw new UserCancelled();
        // Same rules as any custom header (name syntax, no line breaks, reserved names, total length); the
        // message of a refusal names the header, never its value.
        if (value) checkHeaders({ [name]: value });
        else if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name))
          throw new BitsError(Codes.E_INVALIDARG, vscode.l10n.t('"{0}" is not a valid HTTP header name.', name));
        const names = await secrets.set(job.id, name, value || undefined);
        // Only the names go into the job (shown as "(write-only)", and never sent to another origin on a redirect).
        await (await ctx.engines.get()).setProperties(job.id, { writeOnlyHeaderNames: names });
        ctx.log.info(
          `write-only header ${name} ${value ? 'set' : 'removed'} for job ${job.id} (value kept in the secret store); write-only headers now: ${names.join(', ') || 'none'}`,
        );
        return names;
      },
    },
  ];
}
