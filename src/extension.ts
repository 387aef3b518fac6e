// Composition root: builds the engine host, the view, the commands and the notifications, applies the
// settings, and returns the public API. Everything here is wiring; the parts live in src/ui and src/core.
import * as vscode from 'vscode';
import type { ManagedDownloadsApi } from './api';
import { formatError } from './core/errors';
import type { DownloadEngine } from './core/model/job';
import {
  certificateUi,
  ConnectionHost,
  followCertificates,
  forwardApiValidators,
  REJECTIONS_SCHEME,
  RejectionsDocumentProvider,
} from './ui/certificates';
import { certificateCommands } from './ui/commands/certificates';
import { createCommands } from './ui/commands/create';
import { jobVerbCommands } from './ui/commands/jobVerbs';
import { validatorAuthoringCommands } from './ui/commands/validatorAuthoring';
import { CommandRunner } from './ui/commands/runner';
import { viewCommands } from './ui/commands/view';
import { followViewContext, manageCommands } from './ui/commands/manage';
import { DownloadHistory, recordFinishedJobs } from './ui/history';
import { rejectionLogPath } from './core/tls/rejection-log';
import { ContextKeys } from './ui/contextKeys';
import { DETAILS_SCHEME, JobDetailsProvider } from './ui/details';
import { EngineHost, followLease, isFollower } from './ui/engineHost';
import { workspaceStoreDir } from './ui/storeLocation';
import { HeaderSecrets } from './ui/headerSecrets';
import { secretCommands } from './ui/commands/secrets';
import { ClientCertificateSecrets, forgetFinishedCertificates } from './ui/clientCertificateSecrets';
import { clientCertificateCommands } from './ui/commands/clientCertificate';
import { jobOptionsCommands } from './ui/commands/jobOptions';
import { JobsModel } from './ui/jobsModel';
import { Logger } from './ui/log';
import { UserMessages } from './ui/messages';
import { Notifier } from './ui/notifications';
import { ApiClients } from './ui/publicApi';
import { onSettingsChanged, SettingKeys, settings } from './ui/settings';
import { ProgressIndicators } from './ui/statusBar';
import { TEST_HOOKS_COMMAND, type InternalTestingHooks } from './ui/testing';
import { JobTreeProvider } from './ui/tree/provider';
import { WindowLiveness } from './ui/windowLiveness';
import { useTranslator } from './ui/l10n';

/**
 * What deactivate releases, in this order: the engine first (it stops the transfers and gives up the store's
 * lease, which takes a moment, so another window can take over), then the connection path those transfers
 * used. Everything else is in the extension context's subscriptions, which VS Code disposes after deactivate.
 */
class Running {
  constructor(
    readonly engines: EngineHost,
    readonly connections: ConnectionHost,
  ) {}

  async dispose(): Promise<void> {
    // The engine writes its store as it goes; disposing stops the transfers so the next start resumes them.
    await this.engines.dispose();
    this.connections.dispose();
  }
}

/** The one piece of module state: set by activate, released by deactivate. */
let running: Running | undefined;

/** Context key: the job list is known (loaded, or the store is empty); the welcome view waits for it. */
const READY_CONTEXT = 'managedDownloads.ready';

function setReady(): void {
  void vscode.commands.executeCommand('setContext', READY_CONTEXT, true);
}

/**
 * The engine is loaded on first use, so activating costs little when there is nothing to do. Through the store's
 * lease only one window runs a store's jobs; another window on the same workspace shows them and forwards its
 * commands (LeasedEngine), and takes over when that window goes away.
 */
async function openEngine(
  storeDir: string,
  connections: ConnectionHost,
  log: Logger,
  secrets: HeaderSecrets,
  certificateSecrets: ClientCertificateSecrets,
  liveness: WindowLiveness,
): Promise<DownloadEngine> {
  const [{ JobEngine }, { LeasedEngine }, opened] = await Promise.all([
    import('./core/jobs/engine.js'),
    import('./core/store/leased-engine.js'),
    connections.get(),
  ]);
  // The engine prefixes its own lines with their component.
  const engineLog = (level: 'trace' | 'debug' | 'info' | 'warn' | 'error', message: string) => log.channel[level](message);
  return LeasedEngine.open({
    storeDir,
    open: () =>
      JobEngine.open({
        storeDir,
        owner: 'workspace',
        connections: opened.connections.provider,
        headerSecrets: (id) => secrets.get(id),
        clientCertificateSecrets: (id) => certificateSecrets.get(id),
        // Read when this window takes the store, so the engine starts with the settings of that moment.
        bandwidthLimit: settings.bandwidthLimitKiBps() * 1024,
        segments: settings.segmentPolicy(),
        log: engineLog,
      }),
    lease: { label: `the VS Code window of pid ${process.pid}` },
    // A window that is gone (a lost code-server tab) stops running the jobs, so another window can.
    liveness,
    log: engineLog,
  });
}

export function activate(context: vscode.ExtensionContext): ManagedDownloadsApi {
  const started = performance.now();
  // The UI modules without a vscode import (format, tree wording) translate through this.
  useTranslator(vscode.l10n.t.bind(vscode.l10n));
  const channel = vscode.window.createOutputChannel('Managed Downloads', { log: true });
  context.subscriptions.push(channel);
  const log = new Logger(channel, 'Extension');
  const showLog = () => channel.show(true);

  // Jobs belong to the workspace; without a folder open they go to the extension's global storage.
  const storeDir = workspaceStoreDir(context);
  // The job lookup is called only once a connection is made, by which time `host` exists.
  const connections: ConnectionHost = new ConnectionHost(context, rejectionLogPath(storeDir), (id) => host.current?.getJob(id), log);
  const headerSecrets = new HeaderSecrets(context.secrets);
  const certificateSecrets = new ClientCertificateSecrets(context.secrets);
  const liveness = new WindowLiveness(() => vscode.commands.executeCommand('setContext', 'managedDownloads.windowAnswers', true), {
    log: (m) => log.info(`[Window] ${m}`),
  });
  context.subscriptions.push(liveness);
  const host: EngineHost = new EngineHost(
    storeDir,
    (dir) => openEngine(dir, connections, log, headerSecrets, certificateSecrets, liveness),
    log.child('Engine'),
  );
  running = new Running(host, connections);
  const model = new JobsModel();
  const tree = new JobTreeProvider(model);
  // Kept with the workspace, as its jobs are (the store is per workspace too).
  const history = new DownloadHistory(context.workspaceState);
  tree.history = history;
  const treeView = vscode.window.createTreeView('managedDownloads.jobs', {
    treeDataProvider: tree,
    canSelectMany: true,
    showCollapseAll: true,
  });
  const messages = new UserMessages();
  const contextKeys = new ContextKeys(model);
  const indicators = new ProgressIndicators(model, treeView);
  const details = new JobDetailsProvider(model);
  const api = new ApiClients(host, log.child('API'), headerSecrets);
  api.setClientCertificateStore(certificateSecrets);
  const ctx = { engines: host, model, log: log.child('Commands'), messages, tree, treeView };
  const certificates = certificateUi(connections);
  const rejectionsDocs = new RejectionsDocumentProvider(certificates, ctx);
  forwardApiValidators(api, host, certificates);
  context.subscriptions.push(
    model,
    history,
    recordFinishedJobs(model, history),
    followViewContext(model, history),
    contextKeys,
    tree,
    treeView,
    indicators,
    details,
    api,
    headerSecrets,
    rejectionsDocs,
    vscode.workspace.registerTextDocumentContentProvider(DETAILS_SCHEME, details),
    vscode.workspace.registerTextDocumentContentProvider(REJECTIONS_SCHEME, rejectionsDocs),
    new Notifier(model, messages, showLog),
    onSettingsChanged([SettingKeys.maxConcurrentJobs], () => {
      host.current?.setMaxConcurrentJobs(settings.maxConcurrentJobs());
      log.info(`maximum concurrent jobs set to ${settings.maxConcurrentJobs()}`);
    }),
    onSettingsChanged([SettingKeys.bandwidthLimit], () => host.current?.setBandwidthLimit?.(settings.bandwidthLimitKiBps() * 1024)),
    onSettingsChanged([SettingKeys.segmentedDownloads, SettingKeys.segmentConnections, SettingKeys.segmentMinSize], () =>
      host.current?.setSegmentPolicy?.(settings.segmentPolicy()),
    ),
  );

  host.whenOpen((engine) => {
    context.subscriptions.push(...followLease(engine, treeView, headerSecrets));
    context.subscriptions.push(forgetFinishedCertificates(engine, certificateSecrets));
    engine.setMaxConcurrentJobs(settings.maxConcurrentJobs());
    model.attach(engine);
    setReady();
    const opened = connections.current;
    if (opened) context.subscriptions.push(...followCertificates(engine, opened.connections, tree, rejectionsDocs));
  });
  // A workspace that names a validator gets it compiled now (its errors show in the editor), not at the first download.
  const openValidator = () =>
    void (settings.certificateValidator()
      ? connections.get().catch((err) => log.error(`certificate validation did not start: ${String(err)}`))
      : undefined);
  openValidator();
  context.subscriptions.push(onSettingsChanged([SettingKeys.certificateValidator], openValidator));

  const runner = new CommandRunner(log.child('Commands'), messages, showLog);
  for (const command of [
    ...createCommands(ctx),
    ...jobVerbCommands(ctx),
    ...viewCommands(ctx, showLog, history),
    ...manageCommands(ctx, history),
    ...certificateCommands(ctx, certificates),
    ...secretCommands(ctx, headerSecrets),
    ...clientCertificateCommands(ctx, certificateSecrets),
    ...validatorAuthoringCommands(ctx, certificates, context.subscriptions),
    ...jobOptionsCommands(ctx, headerSecrets, context.subscriptions),
  ]) {
    context.subscriptions.push(runner.register(command.id, command.handler));
  }

  // Unfinished jobs resume at once; with an empty store the engine waits until something needs it.
  // The welcome view ("No download jobs yet") waits until that is known, so it never flashes over real jobs.
  const showFailure = (err: unknown) => {
    treeView.message = vscode.l10n.t(
      'The jobs could not be loaded: {0}; see the log (Managed Downloads: Show Log).',
      formatError(err, 'message'),
    );
  };
  // A window that only follows another's store keeps the message that says so (followLease).
  const openForView = () => host.get().then((engine) => void (isFollower(engine) || (treeView.message = undefined)), showFailure);
  void host.storeHasContent().then((hasJobs) => (hasJobs || treeView.visible ? openForView() : setReady()));
  context.subscriptions.push(treeView.onDidChangeVisibility((e) => e.visible && void openForView()));

  const activationMs = performance.now() - started;
  if (context.extensionMode === vscode.ExtensionMode.Test)
    context.subscriptions.push(
      registerTestHooks({
        activationMs,
        tree,
        treeView,
        model,
        history,
        messages,
        indicators,
        contextKeys,
        commandIds: runner.ids,
        storeDir,
        engine: () => host.get(),
        apiClientFor: (owner) => api.clientFor(owner),
        certificates: () => certificates.service(),
        secrets: context.secrets,
      }),
    );
  log.info(`activated in ${activationMs.toFixed(1)} ms; jobs are kept in ${storeDir}`);
  return api.exported;
}

/** Only under the extension's own tests (see src/ui/testing.ts); never on the public API object. */
function registerTestHooks(hooks: InternalTestingHooks): vscode.Disposable {
  return vscode.commands.registerCommand(TEST_HOOKS_COMMAND, () => hooks);
}

export async function deactivate(): Promise<void> {
  const stopping = running;
  running = undefined;
  await stopping?.dispose();
}
