// "Create Certificate Validator" and "Test Certificate Validator on URL...": from "I must trust this host"
// to a typed, working validator, and a dry run of the certificate check against a server without
// downloading anything. The work is in src/validator/authoring (plain Node); this is the VS Code side.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { BitsError, Codes } from '../../core/errors';
import { Disposable } from '../../core/lifecycle';
import { SecurityFlags } from '../../core/model/job';
import { DEFAULT_VALIDATOR_PATH, scaffoldValidator } from '../../validator/authoring/scaffold';
import { refreshDeclarations } from '../../validator/authoring/declarations';
import { dryRun, type DryRunReport } from '../../validator/authoring/dry-run';
import { dryRunMarkdown } from '../../validator/authoring/dry-run-format';
import { configuredValidatorFile, VALIDATOR_SETTING } from '../certificates/validatorBinding';
import type { CertificateUi } from '../certificates/certificateUi';
import { proxySettings } from '../certificates/connections';
import { jobIdsFromArgs } from '../pickers';
import { settings } from '../settings';
import type { CommandContext, CommandDefinition } from './context';
import { CommandIds } from './ids';
import { UserCancelled } from './runner';

export const CERTIFICATE_CHECK_SCHEME = 'managed-downloads-certificate-check';

/** The dry runs' reports as read-only Markdown documents (shown in the Markdown preview). */
export class CertificateCheckDocuments extends Disposable implements vscode.TextDocumentContentProvider {
  private readonly documents = new Map<string, string>();
  private readonly changed = this._register(new vscode.EventEmitter<vscode.Uri>());
  readonly onDidChange = this.changed.event;

  /** Stores a report under a URI named after its host; the same host again replaces its document. */
  put(report: DryRunReport, markdown: string): vscode.Uri {
    const uri = vscode.Uri.from({
      scheme: CERTIFICATE_CHECK_SCHEME,
      path: `/Certificate check ${report.host.replace(/[\\/:*?"<>|#%]/g, '_')}.md`,
    });
    this.documents.set(uri.toString(), markdown);
    this.changed.fire(uri);
    return uri;
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return (
      this.documents.get(uri.toString()) ??
      vscode.l10n.t('This certificate check is no longer available: run "Managed Downloads: Test Certificate Validator on URL..." again.')
    );
  }
}

interface CreateOptions {
  /** Replace an existing file with the template. */
  overwrite?: boolean;
}

function workspaceFolder(): vscode.WorkspaceFolder {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) {
    throw new BitsError(
      Codes.E_INVALIDARG,
      vscode.l10n.t(
        'Open a folder first: a certificate validator is a file of the workspace, named in its settings (managedDownloads.certificateValidator).',
      ),
    );
  }
  return folder;
}

/** The setting's value for `file`: relative to the folder (portable, committed), absolute outside it. */
function settingValue(folder: vscode.WorkspaceFolder, file: string): string {
  const relative = path.relative(folder.uri.fsPath, file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative.split(path.sep).join('/');
}

async function pickTarget(folder: vscode.WorkspaceFolder): Promise<string> {
  const recommended = path.join(folder.uri.fsPath, DEFAULT_VALIDATOR_PATH);
  const choice = await vscode.window.showQuickPick(
    [
      {
        label: DEFAULT_VALIDATOR_PATH,
        description: vscode.l10n.t('recommended'),
        detail: vscode.l10n.t('Kept with the workspace settings and committed with them'),
        file: recommended,
      },
      { label: vscode.l10n.t('Choose a location...'), detail: vscode.l10n.t('Any .ts file of the workspace'), file: undefined },
    ],
    { title: vscode.l10n.t('Create Certificate Validator'), placeHolder: vscode.l10n.t('Where should the validator file go?') },
  );
  if (!choice) throw new UserCancelled();
  if (choice.file) return choice.file;
  const uri = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.file(recommended),
    filters: { TypeScript: ['ts'] },
    title: vscode.l10n.t('Create Certificate Validator'),
  });
  if (!uri) throw new UserCancelled();
  return uri.fsPath;
}

function targetFromArg(folder: vscode.WorkspaceFolder, arg: unknown): string | undefined {
  if (arg instanceof vscode.Uri) return arg.fsPath;
  if (typeof arg === 'string' && arg.trim()) return path.resolve(folder.uri.fsPath, arg.trim());
  return undefined;
}

async function createValidator(
  ctx: CommandContext,
  arg: unknown,
  options: CreateOptions = {},
): Promise<{ file: string; declarations: string; created: boolean }> {
  const folder = workspaceFolder();
  const given = targetFromArg(folder, arg);
  const file = given ?? (await pickTarget(folder));
  let overwrite = options.overwrite === true;
  const exists = await vscode.workspace.fs.stat(vscode.Uri.file(file)).then(
    () => true,
    () => false,
  );
  if (exists && !overwrite && !given) {
    // Asked only from the palette; a caller that names a file gets the existing one used.
    const replace = vscode.l10n.t('Replace It');
    const choice = await vscode.window.showWarningMessage(
      vscode.l10n.t('{0} already exists.', settingValue(folder, file)),
      { modal: true },
      vscode.l10n.t('Use It'),
      replace,
    );
    if (!choice) throw new UserCancelled();
    overwrite = choice === replace;
  }
  const created = !exists || overwrite;
  let declarations: string;
  if (created) declarations = scaffoldValidator(file, { overwrite }).declarationsFile;
  else declarations = refreshDeclarations(file) ?? path.join(path.dirname(file), 'managed-downloads-validator.d.ts');
  ctx.log.info(`certificate validator ${created ? 'created' : 'reused'}: ${file} (types in ${declarations})`);

  const value = settingValue(folder, file);
  const config = vscode.workspace.getConfiguration('managedDownloads', folder.uri);
  if (config.get<string>('certificateValidator')?.trim() !== value) {
    const target = vscode.workspace.workspaceFile ? vscode.ConfigurationTarget.WorkspaceFolder : vscode.ConfigurationTarget.Workspace;
    await config.update('certificateValidator', value, target);
    ctx.log.info(`${VALIDATOR_SETTING} set to ${value}`);
  }
  await vscode.window.showTextDocument(vscode.Uri.file(file));
  if (!vscode.workspace.isTrusted) {
    ctx.messages.show(
      'warning',
      vscode.l10n.t('The validator was created, but this workspace is not trusted, so it does not run yet. Trust the workspace to use it.'),
      {
        [vscode.l10n.t('Manage Workspace Trust')]: () => vscode.commands.executeCommand('workbench.trust.manage'),
      },
    );
  } else {
    vscode.window.setStatusBarMessage(
      created
        ? vscode.l10n.t('Certificate validator {0} created; saving it reloads it', path.basename(file))
        : vscode.l10n.t('Certificate validator {0} in use; saving it reloads it', path.basename(file)),
      5000,
    );
  }
  return { file, declarations, created };
}

interface TestOptions {
  securityFlags?: number;
  /** 'preview' (default) shows the Markdown preview; 'source' the Markdown text; 'none' nothing (tests). */
  show?: 'preview' | 'source' | 'none';
}

const flagChoices = (): { label: string; flag: number; detail: string }[] => [
  {
    label: vscode.l10n.t('Allow unknown CA (0x8)'),
    flag: SecurityFlags.IGNORE_UNKNOWN_CA,
    detail: vscode.l10n.t('for a private CA your validator vouches for'),
  },
  {
    label: vscode.l10n.t('Ignore invalid name (0x2)'),
    flag: SecurityFlags.IGNORE_CERT_CN_INVALID,
    detail: vscode.l10n.t('the certificate may name another host'),
  },
  {
    label: vscode.l10n.t('Ignore invalid date (0x4)'),
    flag: SecurityFlags.IGNORE_CERT_DATE_INVALID,
    detail: vscode.l10n.t('expired or not yet valid'),
  },
  {
    label: vscode.l10n.t('Ignore wrong usage (0x10)'),
    flag: SecurityFlags.IGNORE_CERT_WRONG_USAGE,
    detail: vscode.l10n.t('not issued for server authentication'),
  },
  {
    label: vscode.l10n.t('Check revocation (0x1)'),
    flag: SecurityFlags.ENABLE_CRL_CHECK,
    detail: vscode.l10n.t('fetch CRLs; fail when revocation cannot be checked'),
  },
];

function validUrl(value: string): string | undefined {
  try {
    const u = new URL(value.trim());
    return u.protocol === 'https:' ? undefined : vscode.l10n.t('Only https URLs have a certificate to check.');
  } catch {
    return vscode.l10n.t('Enter a URL such as https://downloads.example.com/file.zip');
  }
}

/** A URL and flags from the arguments: a URL string, or a job (its first https file and its flags). */
function fromArgs(ctx: CommandContext, args: unknown[]): { url?: string; flags?: number } {
  if (typeof args[0] === 'string' && /^[a-z]+:\/\//i.test(args[0])) return { url: args[0] };
  const [jobId] = jobIdsFromArgs(args[0], args[1]);
  const job = jobId ? ctx.model.get(jobId) : undefined;
  if (!job) return {};
  return { url: job.files.find((f) => f.remoteUrl.startsWith('https:'))?.remoteUrl, flags: job.securityFlags };
}

let lastUrl = '';

async function askUrlAndFlags(): Promise<{ url: string; flags: number }> {
  const url = await vscode.window.showInputBox({
    title: vscode.l10n.t('Test Certificate Validator on URL'),
    prompt: vscode.l10n.t('The server is contacted for its certificate only: no request is sent, nothing is downloaded.'),
    placeHolder: 'https://downloads.example.com/file.zip',
    value: lastUrl,
    validateInput: validUrl,
    ignoreFocusOut: true,
  });
  if (!url) throw new UserCancelled();
  const picked = await vscode.window.showQuickPick(flagChoices(), {
    title: vscode.l10n.t('Security flags of the job (phase 1)'),
    placeHolder: vscode.l10n.t('Press Enter for none, as for a new download'),
    canPickMany: true,
    ignoreFocusOut: true,
  });
  if (!picked) throw new UserCancelled();
  return { url: url.trim(), flags: picked.reduce((all, c) => all | c.flag, 0) };
}

async function testValidator(
  ctx: CommandContext,
  certificates: CertificateUi,
  documents: CertificateCheckDocuments,
  args: unknown[],
): Promise<DryRunReport> {
  const options = (args.find((a) => typeof a === 'object' && a !== null && ('securityFlags' in a || 'show' in a)) ?? {}) as TestOptions;
  const given = fromArgs(ctx, args);
  const { url, flags } = given.url ? { url: given.url, flags: options.securityFlags ?? given.flags ?? 0 } : await askUrlAndFlags();
  const problem = validUrl(url);
  if (problem) throw new BitsError(Codes.E_INVALIDARG, `${url}: ${problem}`);
  lastUrl = url;
  const file = configuredValidatorFile();
  const service = await certificates.service();
  const host = new URL(url).host;
  const report = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: vscode.l10n.t('Checking the certificate of {0} (nothing is downloaded)', host),
    },
    () =>
      dryRun({
        url,
        securityFlags: flags,
        trust: service.trust(),
        proxy: proxySettings(),
        validatorFile: file,
        validatorBlocked: file && !vscode.workspace.isTrusted ? 'the workspace is not trusted, so its validator is never run' : undefined,
        timeLimitMs: settings.validatorTimeLimitMs(),
        log: (level, message) => ctx.log[level](`(test on ${host}) ${message}`),
      }),
  );
  ctx.log.info(`certificate check of ${url} with flags 0x${flags.toString(16)}: ${report.verdict}`);
  let markdown = dryRunMarkdown(report, vscode.workspace.workspaceFolders?.[0]?.uri.fsPath);
  const dirty = file ? vscode.workspace.textDocuments.find((d) => d.uri.fsPath === file && d.isDirty) : undefined;
  if (dirty) markdown = markdown.replace(/\n## Phase 2/, '\n> The validator has unsaved changes: the saved file was tested.\n\n## Phase 2');
  const uri = documents.put(report, markdown);
  const show = options.show ?? 'preview';
  if (show === 'preview') {
    await vscode.commands
      .executeCommand('markdown.showPreview', uri)
      .then(undefined, () => vscode.window.showTextDocument(uri, { preview: true }));
  } else if (show === 'source') {
    await vscode.window.showTextDocument(uri, { preview: true });
  }
  return report;
}

/** The commands; the document provider of their reports is registered into `subscriptions`. */
export function validatorAuthoringCommands(
  ctx: CommandContext,
  certificates: CertificateUi,
  subscriptions: vscode.Disposable[],
): CommandDefinition[] {
  const documents = new CertificateCheckDocuments();
  subscriptions.push(documents, vscode.workspace.registerTextDocumentContentProvider(CERTIFICATE_CHECK_SCHEME, documents));
  return [
    {
      id: CommandIds.createValidator,
      handler: (target?: unknown, options?: unknown) => createValidator(ctx, target, (options ?? {}) as CreateOptions),
    },
    { id: CommandIds.testValidator, handler: (...args: unknown[]) => testValidator(ctx, certificates, documents, args) },
  ];
}
