// The BITS verbs as commands: Resume, Suspend, Cancel (after a confirmation), Complete, Retry Now, Set Priority.
// Each accepts a job (tree item, id, or `{ id }`), several (tree multi-select), or asks with a quick pick.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Codes } from '../../core/errors';
import type { CompleteResult, JobSnapshot } from '../../core/model/job';
import { priorityLabels } from '../format';
import { jobsForAction, parsePriority, pickPriority } from '../pickers';
import type { CommandContext, CommandDefinition } from './context';
import { CommandIds } from './ids';
import { UserCancelled } from './runner';

/** Options a caller (or a test) may pass as the second argument of Cancel. */
interface CancelOptions {
  /** Skip the confirmation dialog (the caller already asked). */
  skipConfirmation?: boolean;
}

async function confirmCancel(jobs: JobSnapshot[]): Promise<void> {
  const one = jobs.length === 1;
  const cancelJob: vscode.MessageItem = { title: one ? vscode.l10n.t('Cancel Job') : vscode.l10n.t('Cancel Jobs') };
  // Our own close button: next to "Cancel Job", the dialog's default "Cancel" would read as the same thing.
  const keep: vscode.MessageItem = { title: one ? vscode.l10n.t('Keep Job') : vscode.l10n.t('Keep Jobs'), isCloseAffordance: true };
  const answer = await vscode.window.showWarningMessage(
    one ? vscode.l10n.t('Cancel "{0}"?', jobs[0].displayName) : vscode.l10n.t('Cancel {0} jobs?', jobs.length),
    { modal: true, detail: vscode.l10n.t('Partly downloaded files are deleted. Files already completed stay where they are.') },
    cancelJob,
    keep,
  );
  if (answer !== cancelJob) throw new UserCancelled();
}

export function jobVerbCommands(ctx: CommandContext): CommandDefinition[] {
  const simple = (id: string, action: 'resume' | 'suspend' | 'retryNow', title: string, verb: string): CommandDefinition => ({
    id,
    handler: async (...args) => {
      const jobs = await jobsForAction(ctx.model, action, title, args);
      const engine = await ctx.engines.get();
      for (const job of jobs) {
        await engine[action](job.id);
        ctx.log.info(`${verb} "${job.displayName}" (${job.id})`);
      }
      return jobs.map((j) => j.id);
    },
  });

  return [
    simple(CommandIds.resume, 'resume', vscode.l10n.t('Resume Job'), 'resumed'),
    simple(CommandIds.suspend, 'suspend', vscode.l10n.t('Suspend Job'), 'suspended'),
    simple(CommandIds.retryNow, 'retryNow', vscode.l10n.t('Retry Job Now'), 'retrying now'),
    {
      id: CommandIds.cancel,
      handler: async (...args) => {
        const jobs = await jobsForAction(ctx.model, 'cancel', vscode.l10n.t('Cancel Job'), args);
        const options = (!Array.isArray(args[1]) && args[1] && typeof args[1] === 'object' ? args[1] : {}) as CancelOptions;
        if (!options.skipConfirmation) await confirmCancel(jobs);
        const engine = await ctx.engines.get();
        for (const job of jobs) {
          const { code } = await engine.cancel(job.id);
          ctx.log.info(`cancelled "${job.displayName}" (${job.id})`);
          if (code === Codes.BG_S_UNABLE_TO_DELETE_FILES) {
            ctx.messages.show(
              'warning',
              vscode.l10n.t('"{0}" was cancelled, but some of its temporary files could not be deleted.', job.displayName),
            );
          }
        }
        return jobs.map((j) => j.id);
      },
    },
    {
      id: CommandIds.complete,
      handler: async (...args) => {
        const jobs = await jobsForAction(ctx.model, 'complete', vscode.l10n.t('Complete Job'), args);
        const engine = await ctx.engines.get();
        const results: CompleteResult[] = [];
        for (const job of jobs) {
          // Renaming large files across devices can take a while: show it in the status bar.
          const result = await vscode.window.withProgress(
            { location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Completing "{0}"', job.displayName) },
            () => engine.complete(job.id),
          );
          results.push(result);
          ctx.log.info(
            `completed "${job.displayName}" (${job.id}): ${result.completed.length} file(s) kept, ${result.notTransferred.length} dropped`,
          );
          if (result.notTransferred.length) {
            ctx.messages.show(
              'warning',
              vscode.l10n.t(
                '"{0}" was completed with only the files that had fully arrived. Not kept: {1}.',
                job.displayName,
                result.notTransferred.map((p) => path.basename(p)).join(', '),
              ),
            );
          }
        }
        return results;
      },
    },
    {
      id: CommandIds.setPriority,
      handler: async (...args) => {
        const jobs = await jobsForAction(
          ctx.model,
          'setPriority',
          vscode.l10n.t('Set Priority'),
          Array.isArray(args[1]) ? args : [args[0]],
        );
        const priority = args[1] !== undefined && !Array.isArray(args[1]) ? parsePriority(args[1]) : await pickPriority(jobs[0].priority);
        const engine = await ctx.engines.get();
        for (const job of jobs) {
          await engine.setPriority(job.id, priority);
          ctx.log.info(`priority of "${job.displayName}" (${job.id}) set to ${priorityLabels[priority]}`);
        }
        return jobs.map((j) => j.id);
      },
    },
  ];
}
