// Composition root: builds the engine host, the view, the commands and the notifications, applies the
// settings, and returns the public API. Everything here is wiring; the parts live in src/ui and src/core.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ManagedDownloadsApi } from './api';
import type { DownloadEngine } from './core/jobs/model';
import { createCommands } from './ui/commands/create';
import { jobVerbCommands } from './ui/commands/jobVerbs';
import { CommandRunner } from './ui/commands/runner';
import { viewCommands } from './ui/commands/view';
import { DETAILS_SCHEME, JobDetailsProvider } from './ui/details';
import { EngineHost } from './ui/engineHost';
import { JobsModel } from './ui/jobsModel';
import { Logger } from './ui/log';
import { UserMessages } from './ui/messages';
import { Notifier } from './ui/notifications';
import { PublicApi } from './ui/publicApi';
import { onSettingsChanged, SettingKeys, settings } from './ui/settings';
import { ProgressIndicators } from './ui/statusBar';
import { INTERNAL_TESTING_KEY, type InternalTestingHooks } from './ui/testing';
import { JobTreeProvider } from './ui/tree/provider';

let engines: EngineHost | undefined;

/** The engine module is loaded on first use, so activating costs little when there is nothing to do. */
async function openEngine(storeDir: string, log: Logger): Promise<DownloadEngine> {
  const { JobEngine } = await import('./core/jobs/engine.js');
  // The engine prefixes its own lines with their component.
  return JobEngine.open({ storeDir, owner: 'workspace', log: (level, message) => log.channel[level](message) });
}

export function activate(context: vscode.ExtensionContext): ManagedDownloadsApi {
  const channel = vscode.window.createOutputChannel('Managed Downloads', { log: true });
  context.subscriptions.push(channel);
  const log = new Logger(channel, 'Extension');
  const showLog = () => channel.show(true);

  // Jobs belong to the workspace; without a folder open they go to the extension's global storage.
  const storeDir = path.join((context.storageUri ?? context.globalStorageUri).fsPath, 'jobs');
  engines = new EngineHost(storeDir, (dir) => openEngine(dir, log), log.child('Engine'));
  const model = new JobsModel();
  const tree = new JobTreeProvider(model);
  const treeView = vscode.window.createTreeView('managedDownloads.jobs', { treeDataProvider: tree, canSelectMany: true, showCollapseAll: true });
  const messages = new UserMessages();
  const indicators = new ProgressIndicators(model, treeView);
  const details = new JobDetailsProvider(model);
  const api = new PublicApi(engines, log.child('API'));
  context.subscriptions.push(
    model,
    tree,
    treeView,
    indicators,
    details,
    api,
    vscode.workspace.registerTextDocumentContentProvider(DETAILS_SCHEME, details),
    new Notifier(model, messages, showLog),
  );

  engines.whenOpen((engine) => {
    engine.setMaxConcurrentJobs(settings.maxConcurrentJobs());
    model.attach(engine);
  });
  context.subscriptions.push(
    onSettingsChanged([SettingKeys.maxConcurrentJobs], () => {
      engines?.current?.setMaxConcurrentJobs(settings.maxConcurrentJobs());
      log.info(`maximum concurrent jobs set to ${settings.maxConcurrentJobs()}`);
    }),
  );

  const runner = new CommandRunner(log.child('Commands'), messages, showLog);
  const ctx = { engines, model, log: log.child('Commands'), messages, tree, treeView };
  for (const command of [...createCommands(ctx), ...jobVerbCommands(ctx), ...viewCommands(ctx, showLog)]) {
    context.subscriptions.push(runner.register(command.id, command.handler));
  }

  // Unfinished jobs resume at once; with an empty store the engine waits until something needs it.
  const host = engines;
  void host.storeHasContent().then((hasJobs) => (hasJobs || treeView.visible ? host.get() : undefined)).catch(() => undefined);
  context.subscriptions.push(treeView.onDidChangeVisibility((e) => e.visible && void host.get().catch(() => undefined)));

  const hooks: InternalTestingHooks = {
    tree,
    treeView,
    model,
    messages,
    indicators,
    commandIds: runner.ids,
    storeDir,
    engine: () => host.get(),
  };
  Object.defineProperty(api, INTERNAL_TESTING_KEY, { value: hooks, enumerable: false });
  log.info(`activated; jobs are kept in ${storeDir}`);
  return api;
}

export async function deactivate(): Promise<void> {
  // The engine writes its store as it goes; disposing stops the transfers so the next start resumes them.
  await engines?.dispose();
  engines = undefined;
}
