// The workspace validator inside VS Code: follows the setting managedDownloads.certificateValidator and
// workspace trust, keeps the certificate service's workspace validator current through the shared
// controller (which watches the file and its imports), and shows compile errors as diagnostics.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { refreshDeclarations } from '../../validator/authoring/declarations';
import type { CompileDiagnostic } from '../../validator/compiler';
import type { CertificateService, WorkspaceValidatorState } from '../../core/tls/service';
import { WorkspaceValidatorController, type LogLevel } from '../../validator/workspace-validator';

export const VALIDATOR_SETTING = 'managedDownloads.certificateValidator';
/** The source of the diagnostics this binding shows (compile and load errors of the validator). */
export const DIAGNOSTIC_SOURCE = 'Managed Downloads validator';

export interface ValidatorLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface WorkspaceValidatorBinding extends vscode.Disposable {
  /** Command "Reload Certificate Validator": recompiles and reloads now (clears every attached job's cache). */
  reload(): Promise<WorkspaceValidatorState>;
  /** Command "Clear Certificate Cache": one job's, or every job's when no id is given. */
  clearCache(jobId?: string): void;
  /** The absolute path the setting names, if any. */
  validatorFile(): string | undefined;
  readonly controller: WorkspaceValidatorController;
}

/** The setting, resolved against the first workspace folder (the setting is resource-scoped). */
export function configuredValidatorFile(): string | undefined {
  const folder = vscode.workspace.workspaceFolders?.[0];
  const value = vscode.workspace.getConfiguration('managedDownloads', folder?.uri).get<string>('certificateValidator')?.trim();
  if (!value) return undefined;
  if (path.isAbsolute(value)) return value;
  return folder ? path.join(folder.uri.fsPath, value) : undefined;
}

const APPROVED_OUTSIDE_KEY = 'managedDownloads.approvedOutsideValidators';

function insideWorkspace(file: string): boolean {
  return (vscode.workspace.workspaceFolders ?? []).some((folder) => {
    const relative = path.relative(folder.uri.fsPath, file);
    return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
  });
}

/**
 * The validator file to load: one inside the workspace as it is; one outside it (an absolute path in the
 * setting) only after the person allowed that exact path for this workspace, asked once. In an untrusted
 * workspace nothing is asked: the controller never compiles or runs the file there anyway.
 */
export async function allowedValidatorFile(context: vscode.ExtensionContext, log: ValidatorLog): Promise<string | undefined> {
  const file = configuredValidatorFile();
  if (!file || insideWorkspace(file) || !vscode.workspace.isTrusted) return file;
  const approved = context.workspaceState.get<string[]>(APPROVED_OUTSIDE_KEY, []);
  if (approved.includes(file)) return file;
  const allow = vscode.l10n.t('Allow');
  const choice = await vscode.window.showWarningMessage(
    vscode.l10n.t(
      "The certificate validator setting points outside this workspace: {0}. Managed Downloads would compile it and run it on every HTTPS connection of this workspace's jobs. Allow this file?",
      file,
    ),
    { modal: true },
    allow,
  );
  if (choice !== allow) {
    log.warn(`the validator ${file} is outside the workspace and was not allowed; jobs that need a validator wait (INTERFACE_REQUIRED)`);
    return undefined;
  }
  await context.workspaceState.update(APPROVED_OUTSIDE_KEY, [...approved, file]);
  log.info(`the validator ${file} outside the workspace was allowed for this workspace`);
  return file;
}

/** From the problem's column to its end (esbuild's length), or to the end of the line when no length is known. */
function rangeOf(d: CompileDiagnostic): vscode.Range {
  const line = Math.max(0, (d.line ?? 1) - 1);
  const column = Math.max(0, (d.column ?? 1) - 1);
  if (d.length) return new vscode.Range(line, column, line, column + d.length);
  let end = column + 1;
  try {
    end = Math.max(end, readFileSync(d.file ?? '', 'utf8').split(/\r?\n/)[line]?.length ?? end);
  } catch {
    // the file is gone: a point is all we can show
  }
  return new vscode.Range(line, column, line, end);
}

/** After an update of the extension, the declarations beside the validator follow (when they are ours). */
function refreshTypes(file: string, log: ValidatorLog): void {
  try {
    const written = refreshDeclarations(file);
    if (written) log.info(`updated the validator's type declarations ${written}`);
  } catch (e) {
    log.warn(`could not update the validator's type declarations beside ${file}: ${(e as Error).message}`);
  }
}

/**
 * Keeps `service`'s workspace validator in step with the setting, trust and the file. Returns the command
 * handlers; dispose it (or let `context.subscriptions` do it) to stop watching.
 */
export function attachWorkspaceValidator(
  context: vscode.ExtensionContext,
  service: CertificateService,
  log: ValidatorLog,
): WorkspaceValidatorBinding {
  const diagnostics = vscode.languages.createDiagnosticCollection('managedDownloads.validator');
  const controller = new WorkspaceValidatorController(service, {
    log: (level: LogLevel, message: string) => log[level](message),
  });

  const showDiagnostics = () => {
    diagnostics.clear();
    const byFile = new Map<string, vscode.Diagnostic[]>();
    for (const d of controller.diagnostics) {
      if (!d.file) continue;
      const diagnostic = new vscode.Diagnostic(rangeOf(d), d.text, vscode.DiagnosticSeverity.Error);
      diagnostic.source = DIAGNOSTIC_SOURCE;
      byFile.set(d.file, [...(byFile.get(d.file) ?? []), diagnostic]);
    }
    for (const [file, list] of byFile) diagnostics.set(vscode.Uri.file(file), list);
  };

  const apply = async () => {
    const file = await allowedValidatorFile(context, log);
    if (file && vscode.workspace.isTrusted) refreshTypes(file, log);
    const state = await controller.configure({ file, trusted: vscode.workspace.isTrusted });
    showDiagnostics();
    return state;
  };

  const subscriptions: vscode.Disposable[] = [
    diagnostics,
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(VALIDATOR_SETTING)) void apply();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => void apply()),
    vscode.workspace.onDidChangeWorkspaceFolders(() => void apply()),
    // Each load (from a file change too) updates the diagnostics once it settles.
    service.onDidChangeWorkspaceValidator((s) => {
      if (s.status !== 'loading') showDiagnostics();
    }),
  ];
  void apply();

  const binding: WorkspaceValidatorBinding = {
    controller,
    validatorFile: configuredValidatorFile,
    async reload() {
      // Pick up a setting or trust change first, then force a fresh compile.
      await controller.configure({ file: await allowedValidatorFile(context, log), trusted: vscode.workspace.isTrusted });
      const state = await controller.reload('reloaded by command');
      showDiagnostics();
      return state;
    },
    clearCache(jobId?: string) {
      service.clearCache(jobId);
    },
    dispose() {
      subscriptions.forEach((s) => s.dispose());
      controller.dispose();
    },
  };
  context.subscriptions.push(binding);
  return binding;
}
