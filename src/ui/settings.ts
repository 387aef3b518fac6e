// The extension's settings: one reader per use, values clamped to what the manifest allows. The keys, defaults
// and ranges are in settingDefaults.ts. Resource-scoped settings are read for the first workspace folder (jobs
// are per workspace).
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { SettingDefaults, SettingKeys, type IntegerSetting, type IntegerSettingKey, type SettingKey } from './settingDefaults';

export { SettingKeys, type SettingKey };

export const SECTION = 'managedDownloads';

/** `managedDownloads.maxConcurrentJobs`, for affectsConfiguration. */
export function fullKey(key: SettingKey): string {
  return `${SECTION}.${key}`;
}

function firstFolder(): vscode.WorkspaceFolder | undefined {
  return vscode.workspace.workspaceFolders?.[0];
}

/** Resource-scoped settings are read for the first folder, so a folder's own value wins. */
function config(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(SECTION, firstFolder()?.uri);
}

/** Window-scoped settings are read without a resource (VS Code warns when one is passed for them). */
function windowConfig(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(SECTION);
}

/**
 * A setting that widens trust or chooses where files land (listed in package.json's
 * `capabilities.untrustedWorkspaces.restrictedConfigurations`): while the workspace is untrusted only the
 * user's (or the remote machine's) value counts, never the folder's, which a hostile repository controls.
 * VS Code itself drops such workspace values in Restricted Mode; this keeps the rule when it does not
 * (older hosts, a manifest edit). Read again when trust is granted: see onTrustGranted.
 */
function restricted<T>(key: SettingKey, fallback: T): T {
  const cfg = config();
  if (vscode.workspace.isTrusted) return cfg.get<T>(key, fallback);
  const seen = cfg.inspect<T>(key);
  return seen?.globalValue ?? seen?.defaultValue ?? fallback;
}

/** A number setting, its default when unset or not a number, clamped to its range (settingDefaults.ts). */
function integer(key: IntegerSettingKey, from = config): number {
  const spec: IntegerSetting = SettingDefaults[key];
  const value = from().get<number>(key, spec.default);
  if (typeof value !== 'number' || !Number.isFinite(value)) return spec.default;
  return Math.min(spec.maximum ?? Number.MAX_SAFE_INTEGER, Math.max(spec.minimum, Math.floor(value)));
}

export const settings = {
  /** The validator file as the setting names it (relative to the workspace folder), or '' when unset. */
  certificateValidator: (): string =>
    (config().get<string>(SettingKeys.certificateValidator, SettingDefaults.certificateValidator) ?? '').trim(),
  validatorTimeLimitMs: (): number => integer(SettingKeys.validatorTimeLimit),
  extraCaFiles: (): string[] => {
    const value = restricted<unknown>(SettingKeys.extraCaFiles, SettingDefaults.extraCaFiles);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v.trim() !== '') : [];
  },
  maxConcurrentJobs: (): number => integer(SettingKeys.maxConcurrentJobs, windowConfig),
  minimumRetryDelay: (): number => integer(SettingKeys.minimumRetryDelay),
  noProgressTimeout: (): number => integer(SettingKeys.noProgressTimeout),
  // A boolean reads as its default unless set to the other value (`!== false` for a default of true).
  autoCompleteWhenTransferred: (): boolean =>
    config().get<boolean>(SettingKeys.autoCompleteWhenTransferred, SettingDefaults.autoCompleteWhenTransferred) !== false,
  notifyOnCompletion: (): boolean =>
    windowConfig().get<boolean>(SettingKeys.notifyOnCompletion, SettingDefaults.notifyOnCompletion) !== false,
  notifyOnError: (): boolean => windowConfig().get<boolean>(SettingKeys.notifyOnError, SettingDefaults.notifyOnError) !== false,
  bandwidthLimitKiBps: (): number => integer(SettingKeys.bandwidthLimit, windowConfig),
  /** Segmented downloads as the engine takes them (the size setting is in MiB). */
  segmentPolicy: (): { enabled: boolean; connections: number; minSize: number } => ({
    enabled: windowConfig().get<boolean>(SettingKeys.segmentedDownloads, SettingDefaults.segmentedDownloads) !== false,
    connections: integer(SettingKeys.segmentConnections, windowConfig),
    minSize: integer(SettingKeys.segmentMinSize, windowConfig) * 1024 * 1024,
  }),

  /**
   * Where new downloads go: the setting (relative to the first workspace folder, `~` for home),
   * else `<first workspace folder>/downloads`, else `~/Downloads` when no folder is open.
   */
  defaultDownloadFolder(): string {
    const folder = firstFolder()?.uri.fsPath;
    const configured = (restricted<string>(SettingKeys.defaultDownloadFolder, SettingDefaults.defaultDownloadFolder) ?? '').trim();
    if (configured) {
      if (configured === '~' || configured.startsWith('~/')) return path.join(os.homedir(), configured.slice(1));
      if (path.isAbsolute(configured)) return path.normalize(configured);
      return path.resolve(folder ?? os.homedir(), configured);
    }
    return folder ? path.join(folder, 'downloads') : path.join(os.homedir(), 'Downloads');
  },
};

/**
 * Settings whose workspace value is ignored while the workspace is untrusted (see `restricted`). The
 * validator setting is restricted too, but the other way round: it narrows trust, so its binding
 * (src/ui/certificates/validatorBinding.ts) keeps jobs waiting rather than dropping phase 2.
 */
export const trustRestrictedKeys: readonly SettingKey[] = [SettingKeys.extraCaFiles, SettingKeys.defaultDownloadFolder];

/** Calls `apply` whenever one of `keys` changes (and never for unrelated settings). */
export function onSettingsChanged(keys: SettingKey[], apply: (changed: SettingKey[]) => void): vscode.Disposable {
  const onChange = vscode.workspace.onDidChangeConfiguration((e) => {
    const changed = keys.filter((k) => e.affectsConfiguration(fullKey(k)));
    if (changed.length) apply(changed);
  });
  // Granting trust changes what the restricted settings read (the folder's values start to count).
  const restrictedKeys = keys.filter((k) => trustRestrictedKeys.includes(k));
  if (!restrictedKeys.length) return onChange;
  const onTrust = vscode.workspace.onDidGrantWorkspaceTrust(() => apply(restrictedKeys));
  return vscode.Disposable.from(onChange, onTrust);
}
