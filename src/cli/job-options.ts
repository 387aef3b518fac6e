// A job's settings from the command line (create, get, set) as the engine takes them: the redirect policy folded
// into the security flags, credential headers kept write-only (names in the job, values never stored).
import { SecurityFlags, type JobPropertiesPatch, type JobSnapshot, type NewJobOptions } from '../core/model/job';
import type { FileSha256Arg, JobOptionArgs } from './args';
import { splitHeaders } from './secret-headers';
import { UsageError } from './usage';

/** What get and create use when an option is not given. */
export const CLI_JOB_DEFAULTS = { retryDelaySeconds: 5, noProgressTimeoutSeconds: 600 };

/** --security-flags with --redirect-policy folded in (over `base`, the job's current flags for set). */
export function securityFlagsOf(args: JobOptionArgs, base = 0): number | undefined {
  if (args.securityFlags === undefined && args.redirectPolicy === undefined) return undefined;
  const flags = args.securityFlags ?? base;
  if (args.redirectPolicy === undefined) return flags;
  const given = flags & SecurityFlags.REDIRECT_POLICY_MASK;
  if (args.securityFlags !== undefined && given !== 0 && given !== args.redirectPolicy) {
    throw new UsageError(
      `--security-flags 0x${args.securityFlags.toString(16)} already sets a redirect policy (0x${given.toString(16)}) that --redirect-policy contradicts: give the policy once.`,
    );
  }
  return (flags & ~SecurityFlags.REDIRECT_POLICY_MASK) | args.redirectPolicy;
}

/** The --header values split into the ones the job stores and the write-only ones (their names only go in the job). */
export function headersOf(args: JobOptionArgs, env: NodeJS.ProcessEnv = process.env): ReturnType<typeof splitHeaders> | undefined {
  if (args.noHeaders) return { stored: {}, writeOnly: {} };
  // The environment's write-only headers belong to the process that sends them (get), not to a job's settings.
  return args.headers === undefined ? undefined : splitHeaders(args.headers, { ...env, MANAGED_DOWNLOADS_HEADERS: '' });
}

export function newJobOptions(
  args: JobOptionArgs,
  defaults: { displayName: string; description: string; autoComplete: boolean },
): NewJobOptions {
  return {
    displayName: args.name ?? defaults.displayName,
    description: args.description ?? defaults.description,
    owner: 'cli',
    ...(args.priority !== undefined ? { priority: args.priority } : {}),
    minimumRetryDelay: args.retryDelaySeconds ?? CLI_JOB_DEFAULTS.retryDelaySeconds,
    noProgressTimeout: args.noProgressTimeoutSeconds ?? CLI_JOB_DEFAULTS.noProgressTimeoutSeconds,
    securityFlags: securityFlagsOf(args) ?? 0,
    customHeaders: headersOf(args)?.stored ?? {},
    autoComplete: args.autoComplete ?? defaults.autoComplete,
  };
}

/** The setProperties patch of `set` (priority and the client certificate have verbs of their own). */
export function propertiesPatch(args: JobOptionArgs, job: JobSnapshot): JobPropertiesPatch {
  const patch: JobPropertiesPatch = {};
  if (args.name !== undefined) patch.displayName = args.name;
  if (args.description !== undefined) patch.description = args.description;
  if (args.retryDelaySeconds !== undefined) patch.minimumRetryDelay = args.retryDelaySeconds;
  if (args.noProgressTimeoutSeconds !== undefined) patch.noProgressTimeout = args.noProgressTimeoutSeconds;
  const flags = securityFlagsOf(args, job.securityFlags);
  if (flags !== undefined) patch.securityFlags = flags;
  const headers = headersOf(args);
  if (headers) {
    patch.customHeaders = headers.stored;
    patch.writeOnlyHeaderNames = Object.keys(headers.writeOnly);
  }
  return patch;
}

/** `set --sha256` as the engine's fileSha256 (a value without N names the job's only file). */
export function checksumChanges(given: readonly FileSha256Arg[], job: JobSnapshot): JobPropertiesPatch['fileSha256'] {
  if (given.length === 0) return undefined;
  return given.map(({ fileIndex, sha256 }) => {
    if (fileIndex !== undefined) return { fileIndex, sha256 };
    if (given.length !== 1 || job.files.length !== 1)
      throw new UsageError(
        `Job ${job.id.slice(0, 8)} has ${job.files.length} files: say which with --sha256 N=HEX (N as 'managed-downloads info' numbers them, from 0).`,
      );
    return { fileIndex: 0, sha256 };
  });
}

/** Said when create or set records a write-only header: its value cannot outlive this process. */
export function writeOnlyNote(names: readonly string[]): string | undefined {
  if (names.length === 0) return undefined;
  return `note: ${names.join(', ')} ${names.length === 1 ? 'is a write-only header' : 'are write-only headers'}: the job records the name only. Give the value to 'managed-downloads resume' or 'run' in MANAGED_DOWNLOADS_HEADERS ("Name: value" lines); without it they refuse to run the job.`;
}
