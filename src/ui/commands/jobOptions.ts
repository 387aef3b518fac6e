// "Job Options...": the form that sets and changes a job's options (name, description, priority, security flags,
// redirect policy, retry timers, checksums, headers, client certificate). Opened from the Jobs view's context
// menu, from a job's details document (its title bar), from the palette (a job is picked), and offered after
// New Job. Accepts a tree item, a job id, an API-shaped { id }, or the Uri of the job's details document.
import * as vscode from 'vscode';
import { DETAILS_SCHEME } from '../details';
import type { HeaderSecrets } from '../headerSecrets';
import { JobOptionsPanels } from '../jobOptions/panel';
import { jobIdsFromArgs, pickJob, requireJob } from '../pickers';
import type { CommandContext, CommandDefinition } from './context';
import { CommandIds } from './ids';

export function jobOptionsCommands(ctx: CommandContext, secrets: HeaderSecrets, subscriptions: vscode.Disposable[]): CommandDefinition[] {
  const panels = new JobOptionsPanels(ctx, secrets);
  subscriptions.push(panels);
  return [
    {
      id: CommandIds.jobOptions,
      handler: async (jobArg?: unknown, selected?: unknown) => {
        const id =
          jobArg instanceof vscode.Uri
            ? jobArg.scheme === DETAILS_SCHEME
              ? jobArg.query
              : undefined
            : jobIdsFromArgs(jobArg, selected)[0];
        const job = id !== undefined ? requireJob(ctx.model, id) : await pickJob(ctx.model, undefined, vscode.l10n.t('Job Options'));
        panels.show(job);
        return job.id;
      },
    },
  ];
}
