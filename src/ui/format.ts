// How jobs read at a glance: sizes, rates, durations and the one-line summary the tree shows.
// Pure functions (no vscode import) so the wording is unit-tested in plain Node; text goes through t
// (src/ui/l10n.ts), and the label tables are getters so they read the language at use, not at load.
import { defaultMessage, ErrorContext } from '../core/errors';
import { JobPriority, JobState, type JobProgress, type JobSnapshot } from '../core/model/job';
import { progressOf } from '../core/model/progress';
import { t } from './l10n';

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** 1536 -> "1.5 KB"; decimal units, as browsers and download managers show them. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?';
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  if (unit === 0) return `${value} B`;
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${UNITS[unit]}`;
}

export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** Seconds left in words a person reads at a glance: "42 s", "3 min", "2 h 5 min". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.ceil(seconds);
  if (s < 60) return `${s} s`;
  const minutes = Math.round(s / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours >= 48) return `${Math.round(hours / 24)} d`;
  return rest ? `${hours} h ${rest} min` : `${hours} h`;
}

export const stateLabels: Record<JobState, string> = {
  get [JobState.QUEUED]() {
    return t('Queued');
  },
  get [JobState.CONNECTING]() {
    return t('Connecting');
  },
  get [JobState.TRANSFERRING]() {
    return t('Transferring');
  },
  get [JobState.SUSPENDED]() {
    return t('Suspended');
  },
  get [JobState.ERROR]() {
    return t('Error');
  },
  get [JobState.TRANSIENT_ERROR]() {
    return t('Waiting to retry');
  },
  get [JobState.TRANSFERRED]() {
    return t('Transferred');
  },
  get [JobState.ACKNOWLEDGED]() {
    return t('Completed');
  },
  get [JobState.CANCELLED]() {
    return t('Cancelled');
  },
};

export const priorityLabels: Record<JobPriority, string> = {
  get [JobPriority.FOREGROUND]() {
    return t('Foreground');
  },
  get [JobPriority.HIGH]() {
    return t('High');
  },
  get [JobPriority.NORMAL]() {
    return t('Normal');
  },
  get [JobPriority.LOW]() {
    return t('Low');
  },
};

export const errorContextLabels: Record<ErrorContext, string> = {
  get [ErrorContext.NONE]() {
    return t('none');
  },
  get [ErrorContext.UNKNOWN]() {
    return t('unknown');
  },
  get [ErrorContext.GENERAL_QUEUE_MANAGER]() {
    return t('queue manager');
  },
  get [ErrorContext.QUEUE_MANAGER_NOTIFICATION]() {
    return t('notification');
  },
  get [ErrorContext.LOCAL_FILE]() {
    return t('local file');
  },
  get [ErrorContext.REMOTE_FILE]() {
    return t('remote file');
  },
  get [ErrorContext.GENERAL_TRANSPORT]() {
    return t('network');
  },
  get [ErrorContext.REMOTE_APPLICATION]() {
    return t('remote application');
  },
  get [ErrorContext.SERVER_CERTIFICATE_CALLBACK]() {
    return t('certificate validator');
  },
};

/** Progress summed from the job's files, for when the engine's live figures are not at hand. */
export function progressFromFiles(job: JobSnapshot): JobProgress {
  return progressOf(job, 0);
}

/** 0..100, or undefined while the total size is not known. */
export function percentDone(progress: JobProgress): number | undefined {
  if (progress.bytesTotal === null) return undefined;
  if (progress.bytesTotal === 0) return progress.filesTotal > 0 && progress.filesTransferred === progress.filesTotal ? 100 : 0;
  return Math.min(100, Math.floor((progress.bytesTransferred / progress.bytesTotal) * 100));
}

/** The error in a few words: the description's first sentence, else the code's own message. */
export function shortError(job: JobSnapshot): string {
  if (!job.error) return '';
  const text = (job.error.description || defaultMessage(job.error.code)).trim();
  const firstSentence = /^(.+?[.!?])(\s|$)/.exec(text)?.[1] ?? text;
  return firstSentence.length > 80 ? firstSentence.slice(0, 77) + '...' : firstSentence;
}

function filesPart(progress: JobProgress): string {
  if (progress.filesTotal === 0) return t('no files');
  if (progress.filesTotal === 1) return t('1 file');
  return t('{0} of {1} files', progress.filesTransferred, progress.filesTotal);
}

function sizePart(progress: JobProgress): string {
  return progress.bytesTotal === null
    ? formatBytes(progress.bytesTransferred)
    : t('{0} of {1}', formatBytes(progress.bytesTransferred), formatBytes(progress.bytesTotal));
}

/**
 * The tree's one-line description of a job, e.g. "42% · 3.1 MB/s · 2 of 5 files · 1 min left",
 * or the error in short. `now` is injected so the wording is testable.
 */
export function describeJob(job: JobSnapshot, progress: JobProgress, now = Date.now()): string {
  const percent = percentDone(progress);
  const parts: string[] = [];
  switch (job.state) {
    case JobState.TRANSFERRING: {
      parts.push(percent === undefined ? formatBytes(progress.bytesTransferred) : `${percent}%`);
      if (progress.rate > 0) parts.push(formatRate(progress.rate));
      parts.push(filesPart(progress));
      if (progress.rate > 0 && progress.bytesTotal !== null) {
        parts.push(t('{0} left', formatDuration((progress.bytesTotal - progress.bytesTransferred) / progress.rate)));
      }
      break;
    }
    case JobState.QUEUED:
    case JobState.CONNECTING:
    case JobState.SUSPENDED:
      parts.push(stateLabels[job.state]);
      if (progress.bytesTransferred > 0 && percent !== undefined) parts.push(`${percent}%`);
      parts.push(filesPart(progress));
      break;
    case JobState.TRANSIENT_ERROR: {
      const wait = job.retryAt === undefined ? undefined : Math.max(0, (job.retryAt - now) / 1000);
      parts.push(wait === undefined ? t('Retrying') : t('Retry in {0}', formatDuration(wait)));
      parts.push(shortError(job));
      break;
    }
    case JobState.ERROR:
      parts.push(t('Error: {0}', shortError(job)));
      break;
    case JobState.TRANSFERRED:
      parts.push(t('Transferred, not yet completed'), filesPart(progress), sizePart(progress));
      break;
    case JobState.ACKNOWLEDGED:
      parts.push(t('Completed'), filesPart(progress), formatBytes(progress.bytesTransferred));
      break;
    case JobState.CANCELLED:
      parts.push(t('Cancelled'));
      break;
  }
  if (job.owner !== 'workspace') parts.push(t('by {0}', job.owner));
  return parts.filter(Boolean).join(' · ');
}
