// Making jobs: New Download (one or several URLs, started at once), New Job (empty, suspended, BITS-style),
// Add File to Job. Inputs come from arguments when given, else from input boxes and the folder dialog.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { BitsError, Codes, ErrorContext } from '../../core/errors';
import { pathInFolder } from '../../core/model/validation';
import type { JobPriority, NewJobOptions } from '../../core/model/job';
import { fileNameFromUrl, parseDownloadUrl, uniqueDestination } from '../destinations';
import { isFinal } from '../jobActions';
import type { JobsModel } from '../jobsModel';
import { askText, askUrls, jobsForAction, parsePriority, pickFolder } from '../pickers';
import { settings } from '../settings';
import { currentUrlSuggestion, suggestionPrompt } from '../suggestedUrls';
import type { CommandContext, CommandDefinition } from './context';
import { CommandIds } from './ids';
import { UserCancelled } from './runner';

/** Options of New Download and New Job when called with arguments (other extensions' commands, tests). */
export interface CreateOptions {
  /** Folder the files go to; the default download folder when absent. */
  destination?: string;
  displayName?: string;
  description?: string;
  priority?: JobPriority | string;
  /** New Download only: resume at once (default true). */
  start?: boolean;
}

/** A job made in the UI: owned by the workspace, with the defaults the settings give today. */
export function uiJobOptions(displayName: string, options: CreateOptions = {}): NewJobOptions {
  return {
    displayName,
    description: options.description ?? '',
    owner: 'workspace',
    ...(options.priority !== undefined ? { priority: parsePriority(options.priority) } : {}),
    minimumRetryDelay: settings.minimumRetryDelay(),
    noProgressTimeout: settings.noProgressTimeout(),
    autoComplete: settings.autoCompleteWhenTransferred(),
    // A workspace that names a validator wants it on every HTTPS connection of its jobs.
    validator: settings.certificateValidator() ? 'workspace' : 'none',
  };
}

/** Final paths that unfinished jobs will write, so a new file never takes one of them. */
export function pathsInUse(model: JobsModel): Set<string> {
  return new Set(
    model
      .list()
      .filter((j) => !isFinal(j.state))
      .flatMap((j) => j.files.map((f) => f.localPath)),
  );
}

function asUrlList(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  return undefined;
}

function asOptions(value: unknown): CreateOptions {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as CreateOptions) : {};
}

function nameFor(urls: URL[]): string {
  const first = fileNameFromUrl(urls[0]);
  return urls.length === 1 ? first : vscode.l10n.t('{0} and {1} more', first, urls.length - 1);
}

export function createCommands(ctx: CommandContext): CommandDefinition[] {
  return [
    {
      id: CommandIds.newDownload,
      handler: async (urlArg?: unknown, optionsArg?: unknown) => {
        const given = asUrlList(urlArg);
        const options = asOptions(optionsArg);
        const urls = (given ?? (await askUrls(vscode.l10n.t('New Download'), true, await prefill()))).map(parseDownloadUrl);
        if (urls.length === 0) throw new BitsError(Codes.E_INVALIDARG, vscode.l10n.t('New Download needs at least one URL.'));
        const defaultFolder = settings.defaultDownloadFolder();
        // Asked only interactively: a caller that passes URLs gets the default folder unless it names one. The
        // person may also ask to set the job's options first: it is made SUSPENDED and its form opens.
        const destination =
          options.destination !== undefined || given ? undefined : await pickDestination(defaultFolder, options.start === undefined);
        const folder = options.destination ?? destination?.folder ?? defaultFolder;
        const start = options.start !== false && !destination?.optionsFirst;
        if (!path.isAbsolute(folder))
          throw new BitsError(Codes.E_INVALIDARG, vscode.l10n.t('The destination folder must be an absolute path: {0}', folder));
        await fs.mkdir(folder, { recursive: true });

        const engine = await ctx.engines.get();
        const job = await engine.createJob(uiJobOptions(options.displayName ?? nameFor(urls), options));
        try {
          const taken = pathsInUse(ctx.model);
          for (const url of urls) {
            // The name comes from the server's URL: it must land inside the chosen folder, whatever it says.
            const localPath = pathInFolder(folder, path.basename(uniqueDestination(folder, fileNameFromUrl(url), taken)));
            taken.add(localPath);
            await engine.addFile(job.id, { remoteUrl: url.href, localPath });
          }
          if (start) await engine.resume(job.id);
        } catch (err) {
          // Never leave a half-made job behind: the person retries the whole download.
          await engine.cancel(job.id).catch(() => undefined);
          throw err;
        }
        ctx.log.info(`new download "${job.displayName}" (${job.id}): ${urls.length} file(s) to ${folder}`);
        void revealJob(ctx, job.id);
        if (destination?.optionsFirst) {
          // No byte is fetched until the form's Save and Start (or Resume).
          ctx.model.flush();
          await vscode.commands.executeCommand(CommandIds.jobOptions, job.id);
        }
        return job.id;
      },
    },
    {
      id: CommandIds.newJob,
      handler: async (nameArg?: unknown, optionsArg?: unknown) => {
        const name =
          typeof nameArg === 'string' && nameArg.trim()
            ? nameArg.trim()
            : await askText(vscode.l10n.t('New Job'), vscode.l10n.t('Name of the job'), vscode.l10n.t('New job'));
        const engine = await ctx.engines.get();
        const job = await engine.createJob(uiJobOptions(name, asOptions(optionsArg)));
        ctx.log.info(`new job "${job.displayName}" (${job.id})`);
        void revealJob(ctx, job.id);
        // Made by a person: offer the form for the rest of its options (flags, headers, checksums, certificate).
        if (typeof nameArg !== 'string' || !nameArg.trim()) void offerJobOptions(job.id, job.displayName);
        return job.id;
      },
    },
    {
      id: CommandIds.addFile,
      handler: async (jobArg?: unknown, urlArg?: unknown, localPathArg?: unknown, addOptions?: unknown) => {
        const [job] = await jobsForAction(ctx.model, 'addFile', vscode.l10n.t('Add File to Job'), [jobArg]);
        const url = parseDownloadUrl(
          typeof urlArg === 'string' ? urlArg : (await askUrls(vscode.l10n.t('Add File to "{0}"', job.displayName), false))[0],
        );
        let localPath: string;
        if (typeof localPathArg === 'string') localPath = localPathArg;
        else {
          const suggested = uniqueDestination(settings.defaultDownloadFolder(), fileNameFromUrl(url), pathsInUse(ctx.model));
          if (typeof urlArg === 'string') localPath = suggested;
          else {
            const uri = await vscode.window.showSaveDialog({
              defaultUri: vscode.Uri.file(suggested),
              saveLabel: vscode.l10n.t('Download Here'),
              title: vscode.l10n.t('Save the file as'),
            });
            if (!uri) throw new UserCancelled();
            localPath = uri.fsPath;
          }
        }
        if (!path.isAbsolute(localPath))
          throw new BitsError(Codes.E_INVALIDARG, vscode.l10n.t('The destination must be an absolute path: {0}', localPath));
        // An existing file is replaced only when the caller said so (the save dialog asks the person itself).
        const overwrite = typeof localPathArg !== 'string' || (asOptions(addOptions) as { overwrite?: boolean }).overwrite === true;
        if (!overwrite && (await fs.stat(localPath).catch(() => undefined))?.isFile()) {
          throw new BitsError(
            Codes.E_FILE_EXISTS,
            vscode.l10n.t(
              '{0} already exists; pass {1} to replace it when the job completes, or choose another path.',
              localPath,
              '{ overwrite: true }',
            ),
            ErrorContext.LOCAL_FILE,
          );
        }
        await fs.mkdir(path.dirname(localPath), { recursive: true });
        const engine = await ctx.engines.get();
        await engine.addFile(job.id, { remoteUrl: url.href, localPath });
        ctx.log.info(`added ${url.href} -> ${localPath} to "${job.displayName}" (${job.id})`);
        return job.id;
      },
    },
  ];
}

/**
 * New Download's "Download to" choice: the default folder or another one, started at once; or (when the caller did
 * not say whether to start) Set Options First, which asks for the folder next and makes the job wait for its form.
 */
async function pickDestination(defaultFolder: string, offerOptions: boolean): Promise<{ folder: string; optionsFirst: boolean }> {
  const useDefault = { label: '$(folder) ' + defaultFolder, description: vscode.l10n.t('default download folder'), action: 'default' };
  const choose = { label: vscode.l10n.t('$(folder-opened) Choose Folder...'), description: '', action: 'choose' };
  const optionsFirst = {
    label: vscode.l10n.t('$(settings-gear) Set Options First...'),
    description: vscode.l10n.t('flags, headers, checksums before the first byte'),
    action: 'options',
  };
  const picked = await vscode.window.showQuickPick(offerOptions ? [useDefault, choose, optionsFirst] : [useDefault, choose], {
    title: vscode.l10n.t('Download to'),
    placeHolder: vscode.l10n.t('Destination folder'),
  });
  if (!picked) throw new UserCancelled();
  if (picked.action === 'options') return { folder: await pickFolder(defaultFolder), optionsFirst: true };
  if (picked.action === 'default') return { folder: defaultFolder, optionsFirst: false };
  const uris = await vscode.window.showOpenDialog({
    canSelectFiles: false,
    canSelectFolders: true,
    canSelectMany: false,
    defaultUri: vscode.Uri.file(defaultFolder),
    openLabel: vscode.l10n.t('Download Here'),
  });
  if (!uris?.length) throw new UserCancelled();
  return { folder: uris[0].fsPath, optionsFirst: false };
}

async function offerJobOptions(jobId: string, name: string): Promise<void> {
  const open = vscode.l10n.t('Job Options...');
  const choice = await vscode.window.showInformationMessage(
    vscode.l10n.t('Job "{0}" was created, suspended: set its options, add files, then resume it.', name),
    open,
  );
  if (choice === open) await vscode.commands.executeCommand(CommandIds.jobOptions, jobId);
}

/** New Download's input box starts with the URL(s) the person selected, points at, or copied. */
async function prefill(): Promise<{ urls: string[]; prompt: string } | undefined> {
  const suggestion = await currentUrlSuggestion();
  return suggestion && { urls: suggestion.urls, prompt: suggestionPrompt(suggestion) };
}

/** Shows the new job in the view when the view is open; never opens the view by itself. */
async function revealJob(ctx: CommandContext, jobId: string): Promise<void> {
  if (!ctx.treeView.visible) return;
  ctx.model.flush();
  const item = ctx.tree.itemFor(jobId);
  if (item) await Promise.resolve(ctx.treeView.reveal(item, { select: true, focus: false })).catch(() => undefined);
}
