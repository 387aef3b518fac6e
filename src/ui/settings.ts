// The extension's settings: keys as constants, one reader per use, values clamped to what the manifest allows.
// Resource-scoped settings are read for the first workspace folder (jobs are per workspace).
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';

export const SECTION = 'managedDownloads';

/** Setting keys, relative to the `managedDownloads` section. */
export const SettingKeys = {
  certificateValidator: 'certificateValidator',
  defaultDownloadFolder: 'defaultDownloadFolder',
  maxConcurrentJobs: 'maxConcurrentJobs',
  minimumRetryDelay: 'minimumRetryDelay',
  noProgressTimeout: 'noProgressTimeout',
  validatorTimeLimit: 'validatorTimeLimit',
  extraCaFiles: 'extraCaFiles',
  autoCompleteWhenTransferred: 'autoCompleteWhenTransferred',
  notifyOnCompletion: 'notifyOnCompletion',
  notifyOnError: 'notifyOnError',
  bandwidthLimit: 'bandwidthLimit',
  segmentedDownloads: 'segmentedDownloads',
  segmentConnections: 'segmentConnections',
  segmentMinSize: 'segmentMinSize',
} as const;

export type SettingKey = (typeof SettingKeys)[keyof typeof SettingKeys];

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

function integer(key: SettingKey, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER, from = config): number {
  const value = from().get<number>(key, fallback);
  if (typeof value !== 'number' || !Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(min, Math.floor(value)));
}

export const settings = {
  /** The validator file as the setting names it (relative to the workspace folder), or '' when unset. */
  certificateValidator: (): string => (config().get<string>(SettingKeys.certificateValidator, '') ?? '').trim(),
  validatorTimeLimitMs: (): number => integer(SettingKeys.validatorTimeLimit, 5000, 100, 60_000),
  extraCaFiles: (): string[] => {
    const value = restricted<unknown>(SettingKeys.extraCaFiles, []);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v.trim() !== '') : [];
  },
  maxConcurrentJobs: (): number => integer(SettingKeys.maxConcurrentJobs, 4, 1, 64, windowConfig),
  /** BITS's floor is 5 s. */
  minimumRetryDelay: (): number => integer(SettingKeys.minimumRetryDelay, 60, 5),
  noProgressTimeout: (): number => integer(SettingKeys.noProgressTimeout, 1_209_600, 0),
  autoCompleteWhenTransferred: (): boolean => config().get<boolean>(SettingKeys.autoCompleteWhenTransferred, true) !== false,
  notifyOnCompletion: (): boolean => windowConfig().get<boolean>(SettingKeys.notifyOnCompletion, true) !== false,
  notifyOnError: (): boolean => windowConfig().get<boolean>(SettingKeys.notifyOnError, true) !== false,
  bandwidthLimitKiBps: (): number => integer(SettingKeys.bandwidthLimit, 0, 0, Number.MAX_SAFE_INTEGER, windowConfig),
  /** Segmented downloads as the engine takes them (the size setting is in MiB). */
  segmentPolicy: (): { enabled: boolean; connections: number; minSize: number } => ({
    enabled: windowConfig().get<boolean>(SettingKeys.segmentedDownloads, true) !== false,
    connections: integer(SettingKeys.segmentConnections, 8, 1, 16, windowConfig),
    minSize: integer(SettingKeys.segmentMinSize, 32, 1, 1 << 20, windowConfig) * 1024 * 1024,
  }),

  /**
   * Where new downloads go: the setting (relative to the first workspace folder, `~` for home),
   * else `<first workspace folder>/downloads`, else `~/Downloads` when no folder is open.
   */
  defaultDownloadFolder(): string {
    const folder = firstFolder()?.uri.fsPath;
    const configured = (restricted<string>(SettingKeys.defaultDownloadFolder, '') ?? '').trim();
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
 * (src/validator/vscode-validator.ts) keeps jobs waiting rather than dropping phase 2.
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
