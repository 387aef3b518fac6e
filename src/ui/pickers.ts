// How commands get their inputs: from arguments when given (tree items, ids, tests), else by asking with a
// quick pick or an input box. Dismissing a picker throws UserCancelled, which the command wrapper swallows.
import * as vscode from 'vscode';
import { BitsError, Codes } from '../core/errors';
import { JobPriority, type JobSnapshot } from '../core/model/job';
import { UserCancelled } from './commands/runner';
import { parseDownloadUrl, splitUrls } from './destinations';
import { describeJob, priorityLabels, stateLabels } from './format';
import { canDo, type JobAction } from './jobActions';
import type { JobsModel } from './jobsModel';
import { HistoryEntryItem, HistoryGroupItem } from './tree/historyItems';
import { stateCodicon } from './tree/icons';
import { FileItem, JobItem, type TreeNode } from './tree/items';

/** What a command accepts as "a job": a tree node, an id, or an object with `id`/`jobId` (API-shaped). */
export type JobRef = TreeNode | string | { id: string } | { jobId: string };

function idOf(ref: unknown): string | undefined {
  if (typeof ref === 'string') return ref;
  // A History row is a finished job no longer in the list: only the History's own commands take it.
  if (ref instanceof HistoryGroupItem || ref instanceof HistoryEntryItem) return undefined;
  if (ref instanceof JobItem) return ref.jobId;
  if (ref && typeof ref === 'object') {
    // A file, error or certificate row acts for the job it belongs to.
    if ('parent' in ref && ref.parent && typeof ref.parent === 'object') return idOf(ref.parent);
    if ('jobId' in ref && typeof ref.jobId === 'string') return ref.jobId;
    if ('id' in ref && typeof ref.id === 'string') return ref.id;
  }
  return undefined;
}

/**
 * The job ids a command was given. A tree with multi-select calls `(clicked, selected[])`; the selection
 * counts only when it contains the clicked item (an inline button acts on its own row).
 */
export function jobIdsFromArgs(first: unknown, second?: unknown): string[] {
  if (Array.isArray(first)) return first.map(idOf).filter((id): id is string => id !== undefined);
  if (Array.isArray(second) && second.includes(first)) {
    return second.map(idOf).filter((id): id is string => id !== undefined);
  }
  const id = idOf(first);
  return id === undefined ? [] : [id];
}

export function requireJob(model: JobsModel, jobId: string): JobSnapshot {
  const job = model.get(jobId);
  if (!job)
    throw new BitsError(
      Codes.BG_E_NOT_FOUND,
      vscode.l10n.t('There is no job with id {0}. It may have been completed or cancelled and cleared.', jobId),
    );
  return job;
}

interface JobPick extends vscode.QuickPickItem {
  job: JobSnapshot;
}

/** Asks which job, listing those the action fits, each with its state. */
export async function pickJob(model: JobsModel, action: JobAction | undefined, title: string): Promise<JobSnapshot> {
  const jobs = model.list().filter((job) => (action ? canDo(job, action) : true));
  if (jobs.length === 0) {
    throw new BitsError(
      Codes.BG_E_NOT_FOUND,
      model.list().length === 0
        ? vscode.l10n.t('There are no download jobs yet. Use "New Download..." to start one.')
        : vscode.l10n.t('No job can do that now ({0}).', title),
    );
  }
  const picked = await vscode.window.showQuickPick<JobPick>(
    jobs.map((job) => ({
      label: `$(${stateCodicon(job.state)}) ${job.displayName}`,
      description: stateLabels[job.state],
      detail: describeJob(job, model.progress(job.id)),
      job,
    })),
    { title, placeHolder: vscode.l10n.t('Pick a job'), matchOnDescription: true, matchOnDetail: true },
  );
  if (!picked) throw new UserCancelled();
  return picked.job;
}

/** The jobs a verb applies to: from the arguments, else one picked from those the verb fits. */
export async function jobsForAction(model: JobsModel, action: JobAction, title: string, args: unknown[]): Promise<JobSnapshot[]> {
  const ids = jobIdsFromArgs(args[0], args[1]);
  if (ids.length) return ids.map((id) => requireJob(model, id));
  return [await pickJob(model, action, title)];
}

const priorityNames: Record<string, JobPriority> = {
  FOREGROUND: JobPriority.FOREGROUND,
  HIGH: JobPriority.HIGH,
  NORMAL: JobPriority.NORMAL,
  LOW: JobPriority.LOW,
};

/** 'HIGH', 'high', 1 -> JobPriority.HIGH; anything else is a clear error. */
export function parsePriority(value: unknown): JobPriority {
  if (typeof value === 'number' && value in JobPriority) return value as JobPriority;
  if (typeof value === 'string' && value.toUpperCase() in priorityNames) return priorityNames[value.toUpperCase()];
  throw new BitsError(Codes.E_INVALIDARG, vscode.l10n.t('"{0}" is not a priority. Use FOREGROUND, HIGH, NORMAL or LOW.', String(value)));
}

export async function pickPriority(current: JobPriority): Promise<JobPriority> {
  const descriptions: Record<JobPriority, string> = {
    [JobPriority.FOREGROUND]: vscode.l10n.t('goes before everything else'),
    [JobPriority.HIGH]: vscode.l10n.t('before normal and low'),
    [JobPriority.NORMAL]: vscode.l10n.t('the default'),
    [JobPriority.LOW]: vscode.l10n.t('when nothing else waits'),
  };
  const picked = await vscode.window.showQuickPick(
    [JobPriority.FOREGROUND, JobPriority.HIGH, JobPriority.NORMAL, JobPriority.LOW].map((p) => ({
      label: priorityLabels[p],
      description: p === current ? `${descriptions[p]} (current)` : descriptions[p],
      priority: p,
    })),
    { title: vscode.l10n.t('Set Priority'), placeHolder: vscode.l10n.t('Priority of the job') },
  );
  if (!picked) throw new UserCancelled();
  return picked.priority;
}

/** Asks for one or several URLs (separated by spaces, commas or new lines), validating as the person types. */
export async function askUrls(title: string, allowSeveral: boolean, prefill?: { urls: string[]; prompt: string }): Promise<string[]> {
  const value = prefill?.urls.join(' ');
  const text = await vscode.window.showInputBox({
    title,
    prompt:
      prefill?.prompt ??
      (allowSeveral ? vscode.l10n.t('One or several http(s) URLs, separated by spaces') : vscode.l10n.t('An http(s) URL')),
    // Selected whole, so typing replaces the suggestion and Enter takes it.
    ...(value ? { value, valueSelection: [0, value.length] as [number, number] } : {}),
    placeHolder: 'https://example.com/file.zip',
    ignoreFocusOut: true,
    validateInput: (value) => {
      const urls = splitUrls(value);
      if (urls.length === 0) return vscode.l10n.t('Enter a URL.');
      if (!allowSeveral && urls.length > 1) return vscode.l10n.t('Enter one URL.');
      for (const u of urls) {
        try {
          parseDownloadUrl(u);
        } catch (err) {
          return (err as Error).message;
        }
      }
      return undefined;
    },
  });
  if (text === undefined) throw new UserCancelled();
  return splitUrls(text);
}

export async function askText(title: string, prompt: string, value: string): Promise<string> {
  const text = await vscode.window.showInputBox({
    title,
    prompt,
    value,
    validateInput: (v) => (v.trim() ? undefined : vscode.l10n.t('Enter a name.')),
  });
  if (text === undefined) throw new UserCancelled();
  return text.trim();
}

/** Offers the default folder first; "Choose Folder..." opens the folder dialog. */
export async function pickFolder(defaultFolder: string): Promise<string> {
  const useDefault = { label: '$(folder) ' + defaultFolder, description: vscode.l10n.t('default download folder'), choose: false };
  const choose = { label: vscode.l10n.t('$(folder-opened) Choose Folder...'), description: '', choose: true };
  const picked = await vscode.window.showQuickPick([useDefault, choose], {
    title: vscode.l10n.t('Download to'),
    placeHolder: vscode.l10n.t('Destination folder'),
  });
  if (!picked) throw new UserCancelled();
  if (!picked.choose) return defaultFolder;
  const uris = await vscode.window.showOpenDialog({
    canSelectFiles: false,
    canSelectFolders: true,
    canSelectMany: false,
    defaultUri: vscode.Uri.file(defaultFolder),
    openLabel: vscode.l10n.t('Download Here'),
  });
  if (!uris?.length) throw new UserCancelled();
  return uris[0].fsPath;
}

/** The file a file-level command acts on: a FileItem, `{ jobId, fileIndex }`, or a job (its first file). */
export function fileFromArgs(model: JobsModel, ref: unknown): { job: JobSnapshot; index: number } | undefined {
  if (ref instanceof FileItem) return { job: requireJob(model, ref.parent.jobId), index: ref.index };
  if (ref && typeof ref === 'object' && 'jobId' in ref && 'fileIndex' in ref && typeof ref.fileIndex === 'number') {
    return { job: requireJob(model, String(ref.jobId)), index: ref.fileIndex };
  }
  return undefined;
}
