// The download-manager basics of the Jobs view (issue 16): open a downloaded file, reveal it in the OS's
// file manager, copy its path, download a job again, suspend or resume everything, and the History
// (remove entries, clear it). What browsers, IDM and aria2 front-ends offer on their download lists.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { BitsError, Codes, formatError } from '../../core/errors';
import { pathInFolder } from '../../core/model/validation';
import { againDestinations, parseDownloadUrl } from '../destinations';
import type { DownloadHistory, HistoryEntry } from '../history';
import { ViewContextKeys } from '../jobContextKeys';
import { canDo, fileIsDelivered } from '../jobActions';
import type { JobsModel } from '../jobsModel';
import { fileFromArgs, jobIdsFromArgs, requireJob } from '../pickers';
import { HistoryEntryItem } from '../tree/historyItems';
import type { CommandContext, CommandDefinition } from './context';
import { pathsInUse, uiJobOptions } from './create';
import { CommandIds } from './ids';

/** Keeps the context keys in step with the jobs and the history (set only when a value changes). */
export function followViewContext(model: JobsModel, history: DownloadHistory): vscode.Disposable {
  const last = new Map<string, boolean>();
  const set = (key: string, value: boolean) => {
    if (last.get(key) === value) return;
    last.set(key, value);
    void vscode.commands.executeCommand('setContext', key, value);
  };
  const update = () => {
    const jobs = model.list();
    set(
      ViewContextKeys.canSuspendAll,
      jobs.some((j) => canDo(j, 'suspend')),
    );
    set(ViewContextKeys.canResumeAll, jobs.some(resumable));
    set(ViewContextKeys.hasHistory, history.list().length > 0);
  };
  update();
  const a = model.onDidChange(update);
  const b = history.onDidChange(update);
  return new vscode.Disposable(() => {
    a.dispose();
    b.dispose();
  });
}

/** Resume All resumes what a person paused or what stopped on an error, never an empty job (BITS refuses it). */
function resumable(job: Parameters<typeof canDo>[0]): boolean {
  return canDo(job, 'resume') && job.files.length > 0;
}

/** The History entries a command was given: the clicked row, or the selection that contains it. */
export function historyEntriesFromArgs(history: DownloadHistory, first: unknown, second?: unknown): HistoryEntry[] {
  const refs = Array.isArray(second) && second.includes(first) ? second : [first];
  return refs
    .filter((r): r is HistoryEntryItem => r instanceof HistoryEntryItem)
    .map((r) => history.get(r.jobId))
    .filter((e): e is HistoryEntry => e !== undefined);
}

interface FileTarget {
  jobName: string;
  localPath: string;
  delivered: boolean;
}

/** The files a file command acts on: one file row, every file of a job (or of a History entry). */
function fileTargets(ctx: CommandContext, history: DownloadHistory, args: unknown[]): FileTarget[] {
  const entries = historyEntriesFromArgs(history, args[0], args[1]);
  if (entries.length)
    return entries.flatMap((e) => e.files.map((f) => ({ jobName: e.displayName, localPath: f.localPath, delivered: f.delivered })));
  const file = fileFromArgs(ctx.model, args[0]);
  if (file) {
    const record = file.job.files[file.index];
    if (!record)
      throw new BitsError(Codes.BG_E_FILE_NOT_FOUND, vscode.l10n.t('"{0}" has no file number {1}.', file.job.displayName, file.index + 1));
    return [{ jobName: file.job.displayName, localPath: record.localPath, delivered: fileIsDelivered(file.job, record) }];
  }
  const ids = jobIdsFromArgs(args[0], args[1]);
  if (!ids.length) throw new BitsError(Codes.E_INVALIDARG, vscode.l10n.t('Pick a job or a file in the Jobs view first.'));
  return ids.flatMap((id) => {
    const job = requireJob(ctx.model, id);
    return job.files.map((f) => ({ jobName: job.displayName, localPath: f.localPath, delivered: fileIsDelivered(job, f) }));
  });
}

/** The first delivered file among the targets that is still on disk, or a clear error. */
async function deliveredFile(targets: FileTarget[]): Promise<string> {
  const delivered = targets.filter((t) => t.delivered);
  if (!delivered.length) {
    throw new BitsError(
      Codes.BG_E_INVALID_STATE,
      vscode.l10n.t(
        '"{0}" has no downloaded file yet: files appear at their destination only when the job is completed.',
        targets[0]?.jobName ?? '',
      ),
    );
  }
  for (const t of delivered) if ((await fs.stat(t.localPath).catch(() => undefined))?.isFile()) return t.localPath;
  throw new BitsError(
    Codes.E_FILE_NOT_FOUND,
    vscode.l10n.t('{0} is no longer there: it was moved or deleted after the download.', delivered[0].localPath),
  );
}

export interface RedownloadSource {
  displayName: string;
  files: { remoteUrl: string; localPath: string }[];
}

/**
 * A new job with the same URLs, each file to its old folder under a name that overwrites nothing; started at
 * once. Only the URLs are copied: headers, security flags and checksums stay with the old job (a write-only
 * header's value is the old job's secret).
 */
export async function downloadAgain(ctx: CommandContext, source: RedownloadSource): Promise<string> {
  if (!source.files.length)
    throw new BitsError(Codes.BG_E_EMPTY, vscode.l10n.t('"{0}" has no files to download again.', source.displayName));
  const urls = source.files.map((f) => parseDownloadUrl(f.remoteUrl));
  const targets = againDestinations(
    source.files.map((f) => f.localPath),
    pathsInUse(ctx.model),
  );
  const engine = await ctx.engines.get();
  const job = await engine.createJob(uiJobOptions(source.displayName));
  try {
    for (const [i, url] of urls.entries()) {
      const folder = path.dirname(targets[i]);
      await fs.mkdir(folder, { recursive: true });
      await engine.addFile(job.id, { remoteUrl: url.href, localPath: pathInFolder(folder, path.basename(targets[i])) });
    }
    await engine.resume(job.id);
  } catch (err) {
    // As New Download: never a half-made job; the person tries the whole thing again.
    await engine.cancel(job.id).catch(() => undefined);
    throw err;
  }
  ctx.log.info(`download again of "${source.displayName}" as ${job.id}: ${urls.length} file(s)`);
  return job.id;
}

export function manageCommands(ctx: CommandContext, history: DownloadHistory): CommandDefinition[] {
  return [
    {
      id: CommandIds.openFile,
      handler: async (...args) => {
        const file = await deliveredFile(fileTargets(ctx, history, args));
        // Always in VS Code, never with the OS's default application: a downloaded file is content from the
        // network, and "open with the system" runs an executable. VS Code shows text, images and PDFs (with
        // an extension) itself, and asks before showing a binary.
        await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(file), { preview: true });
        return file;
      },
    },
    {
      id: CommandIds.revealInOS,
      handler: async (...args) => {
        const file = await deliveredFile(fileTargets(ctx, history, args));
        try {
          await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(file));
          return file;
        } catch {
          // A browser or a remote window has no file manager here: say where the file is instead.
          ctx.messages.show('info', vscode.l10n.t('The file is at {0}.', file), {
            [vscode.l10n.t('Copy Path')]: () => vscode.env.clipboard.writeText(file),
          });
          return file;
        }
      },
    },
    {
      id: CommandIds.copyPath,
      handler: async (...args) => {
        const paths = [...new Set(fileTargets(ctx, history, args).map((t) => t.localPath))];
        if (!paths.length) throw new BitsError(Codes.BG_E_EMPTY, vscode.l10n.t('That job has no files, so there is no path to copy.'));
        const text = paths.join('\n');
        await vscode.env.clipboard.writeText(text);
        vscode.window.setStatusBarMessage(
          paths.length === 1 ? vscode.l10n.t('Copied {0}', path.basename(paths[0])) : vscode.l10n.t('Copied {0} paths', paths.length),
          3000,
        );
        return text;
      },
    },
    {
      id: CommandIds.downloadAgain,
      handler: async (...args) => {
        const entries = historyEntriesFromArgs(history, args[0], args[1]);
        const sources: RedownloadSource[] = entries.length
          ? entries
          : jobIdsFromArgs(args[0], args[1]).map((id) => requireJob(ctx.model, id));
        if (!sources.length) throw new BitsError(Codes.E_INVALIDARG, vscode.l10n.t('Pick a job or a History entry to download again.'));
        const omitted = entries.reduce((n, e) => n + e.omittedFiles, 0);
        if (omitted) {
          ctx.messages.show(
            'warning',
            vscode.l10n.t(
              'The History kept the first {0} files of a large job; {1} more are not downloaded again.',
              entries[0].files.length,
              omitted,
            ),
          );
        }
        const ids: string[] = [];
        for (const source of sources) ids.push(await downloadAgain(ctx, source));
        return ids;
      },
    },
    {
      id: CommandIds.suspendAll,
      handler: async () => {
        const jobs = ctx.model.list().filter((j) => canDo(j, 'suspend'));
        return runOnAll(ctx, jobs, 'suspend');
      },
    },
    {
      id: CommandIds.resumeAll,
      handler: async () => {
        const jobs = ctx.model.list().filter(resumable);
        return runOnAll(ctx, jobs, 'resume');
      },
    },
    {
      id: CommandIds.removeFromHistory,
      handler: (...args) => {
        const entries = historyEntriesFromArgs(history, args[0], args[1]);
        if (!entries.length) throw new BitsError(Codes.E_INVALIDARG, vscode.l10n.t('Pick an entry of the History first.'));
        return history.remove(entries.map((e) => e.jobId)).map((e) => e.jobId);
      },
    },
    {
      id: CommandIds.clearHistory,
      handler: () => {
        // Only the list is cleared: downloaded files stay where they are.
        const count = history.clear();
        ctx.log.info(`cleared ${count} History entr${count === 1 ? 'y' : 'ies'}`);
        return count;
      },
    },
  ];
}

/** Suspends or resumes every job given; one job's failure is reported and the others still go. */
async function runOnAll(ctx: CommandContext, jobs: { id: string; displayName: string }[], verb: 'suspend' | 'resume'): Promise<string[]> {
  if (!jobs.length) return [];
  const engine = await ctx.engines.get();
  const done: string[] = [];
  const failed: string[] = [];
  for (const job of jobs) {
    try {
      await engine[verb](job.id);
      done.push(job.id);
    } catch (err) {
      failed.push(job.displayName);
      ctx.log.warn(`${verb} all: "${job.displayName}" (${job.id}): ${formatError(err, 'log')}`);
    }
  }
  ctx.log.info(`${verb} all: ${done.length} job(s)${failed.length ? `, ${failed.length} could not` : ''}`);
  if (failed.length) {
    const names = failed.slice(0, 3).join(', ') + (failed.length > 3 ? ', ...' : '');
    ctx.messages.show(
      'warning',
      verb === 'suspend'
        ? vscode.l10n.t('{0} job(s) could not be suspended: {1}. See the log.', failed.length, names)
        : vscode.l10n.t('{0} job(s) could not be resumed: {1}. See the log.', failed.length, names),
    );
  }
  return done;
}
