// Composition root: builds the engine host, the view, the commands and the notifications, applies the
// settings, and returns the public API. Everything here is wiring; the parts live in src/ui and src/core.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ManagedDownloadsApi } from './api';
import type { DownloadEngine } from './core/jobs/model';
import { certificateUi, followCertificates, forwardApiValidators } from './ui/certificateWiring';
import { certificateCommands, REJECTIONS_SCHEME, RejectionsDocumentProvider } from './ui/commands/certificates';
import { createCommands } from './ui/commands/create';
import { CommandIds } from './ui/commands/ids';
import { jobVerbCommands } from './ui/commands/jobVerbs';
import { CommandRunner } from './ui/commands/runner';
import { viewCommands } from './ui/commands/view';
import type { Connections } from './ui/connections';
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
let connections: Connections | undefined;

/**
 * The engine and its connection path (certificate gate, proxies) are loaded on first use, so activating
 * costs little when there is nothing to do.
 */
async function openEngine(storeDir: string, log: Logger): Promise<DownloadEngine> {
  const [{ JobEngine }, { Connections }] = await Promise.all([import('./core/jobs/engine.js'), import('./ui/connections.js')]);
  // The gate looks jobs up in the engine it serves, which exists only once opened.
  const opened: { engine?: DownloadEngine } = {};
  const rejectionLog = path.join(path.dirname(storeDir), 'certificate-rejections.jsonl');
  connections = new Connections(rejectionLog, (id) => opened.engine?.getJob(id), log.child('Certificates'));
  // The engine prefixes its own lines with their component.
  opened.engine = await JobEngine.open({ storeDir, owner: 'workspace', connections: connections.provider, log: (level, message) => log.channel[level](message) });
  return opened.engine;
}

export function activate(context: vscode.ExtensionContext): ManagedDownloadsApi {
  const channel = vscode.window.createOutputChannel('Managed Downloads', { log: true });
  context.subscriptions.push(channel);
  const log = new Logger(channel, 'Extension');
  const showLog = () => channel.show(true);

  // Jobs belong to the workspace; without a folder open they go to the extension's global storage.
  const storeDir = path.join((context.storageUri ?? context.globalStorageUri).fsPath, 'jobs');
  const host = (engines = new EngineHost(storeDir, (dir) => openEngine(dir, log), log.child('Engine')));
  const model = new JobsModel();
  const tree = new JobTreeProvider(model);
  const treeView = vscode.window.createTreeView('managedDownloads.jobs', { treeDataProvider: tree, canSelectMany: true, showCollapseAll: true });
  const messages = new UserMessages();
  const indicators = new ProgressIndicators(model, treeView);
  const details = new JobDetailsProvider(model);
  const api = new PublicApi(host, log.child('API'));
  const ctx = { engines: host, model, log: log.child('Commands'), messages, tree, treeView };
  const certificates = certificateUi(host, () => connections);
  const rejectionsDocs = new RejectionsDocumentProvider(certificates, ctx);
  forwardApiValidators(api, host, certificates);
  context.subscriptions.push(
    model,
    tree,
    treeView,
    indicators,
    details,
    api,
    rejectionsDocs,
    vscode.workspace.registerTextDocumentContentProvider(DETAILS_SCHEME, details),
    vscode.workspace.registerTextDocumentContentProvider(REJECTIONS_SCHEME, rejectionsDocs),
    new Notifier(model, messages, showLog),
    onSettingsChanged([SettingKeys.maxConcurrentJobs], () => {
      host.current?.setMaxConcurrentJobs(settings.maxConcurrentJobs());
      log.info(`maximum concurrent jobs set to ${settings.maxConcurrentJobs()}`);
    }),
  );

  host.whenOpen((engine) => {
    engine.setMaxConcurrentJobs(settings.maxConcurrentJobs());
    model.attach(engine);
    if (connections) context.subscriptions.push(...followCertificates(engine, connections, tree, rejectionsDocs));
  });

  const runner = new CommandRunner(log.child('Commands'), messages, showLog);
  // Reload waits for the VS Code-side validator controller; the other certificate commands need only the service.
  const certificateCommandList = certificateCommands(ctx, certificates).filter((c) => c.id !== CommandIds.reloadValidator);
  for (const command of [...createCommands(ctx), ...jobVerbCommands(ctx), ...viewCommands(ctx, showLog), ...certificateCommandList]) {
    context.subscriptions.push(runner.register(command.id, command.handler));
  }

  // Unfinished jobs resume at once; with an empty store the engine waits until something needs it.
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
    certificates: () => certificates.service(),
  };
  Object.defineProperty(api, INTERNAL_TESTING_KEY, { value: hooks, enumerable: false });
  log.info(`activated; jobs are kept in ${storeDir}`);
  return api;
}

export async function deactivate(): Promise<void> {
  // The engine writes its store as it goes; disposing stops the transfers so the next start resumes them.
  await engines?.dispose();
  engines = undefined;
  connections?.dispose();
  connections = undefined;
}
