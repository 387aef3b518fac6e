// Every setting's default, and the range a number must keep, in one table: the readers in settings.ts fall back
// to and clamp by it, and test/unit/ui/setting-defaults.test.ts checks that package.json (what the Settings
// editor shows) says the same. Pure (no vscode import).

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

/** A number setting's default and the range its value is clamped to (whole numbers). */
export interface IntegerSetting {
  readonly default: number;
  readonly minimum: number;
  readonly maximum?: number;
}

/** The manifest's defaults (and, for numbers, its minimum and maximum), by key. */
export const SettingDefaults = {
  certificateValidator: '',
  defaultDownloadFolder: '',
  maxConcurrentJobs: { default: 4, minimum: 1, maximum: 64 },
  /** BITS's floor is 5 s. */
  minimumRetryDelay: { default: 60, minimum: 5 },
  /** 14 days, as BITS. */
  noProgressTimeout: { default: 1_209_600, minimum: 0 },
  /** Milliseconds. */
  validatorTimeLimit: { default: 5000, minimum: 100, maximum: 60_000 },
  extraCaFiles: [] as readonly string[],
  autoCompleteWhenTransferred: true,
  notifyOnCompletion: true,
  notifyOnError: true,
  /** KiB/s; 0 is no limit. */
  bandwidthLimit: { default: 0, minimum: 0 },
  segmentedDownloads: true,
  segmentConnections: { default: 8, minimum: 1, maximum: 16 },
  /** MiB. */
  segmentMinSize: { default: 32, minimum: 1, maximum: 1 << 20 },
} as const satisfies Record<SettingKey, string | boolean | readonly string[] | IntegerSetting>;

/** The keys of the number settings. */
export type IntegerSettingKey = { [K in SettingKey]: (typeof SettingDefaults)[K] extends IntegerSetting ? K : never }[SettingKey];
