// What a screen reader says for each row of the Jobs view: the name, the state and the progress in words
// ("42 percent", "3.1 megabytes per second"), where the row itself shows symbols ("42% · 3.1 MB/s").
// Pure (no vscode import) so the wording is unit-tested in plain Node; the text goes through t (l10n.ts).
import * as path from 'node:path';
import { JobState, type FileRecord, type JobProgress, type JobSnapshot } from '../core/model/job';
import { formatBytes, percentDone, shortError, stateLabels } from './format';
import { t } from './l10n';

const unitWords = (): Record<string, string> => ({
  B: t('{0} bytes'),
  KB: t('{0} kilobytes'),
  MB: t('{0} megabytes'),
  GB: t('{0} gigabytes'),
  TB: t('{0} terabytes'),
});

/** 1536 -> "1.5 kilobytes". */
export function bytesInWords(bytes: number): string {
  const [value, unit] = formatBytes(bytes).split(' ');
  const words = unit ? unitWords()[unit] : undefined;
  return words ? words.replace('{0}', value) : t('unknown size');
}

/** Seconds in words: "42 seconds", "3 minutes", "2 hours 5 minutes". */
export function durationInWords(seconds: number): string {
  const s = Math.ceil(Math.max(0, seconds));
  const inSeconds = (n: number) => (n === 1 ? t('1 second') : t('{0} seconds', n));
  const inMinutes = (n: number) => (n === 1 ? t('1 minute') : t('{0} minutes', n));
  const inHours = (n: number) => (n === 1 ? t('1 hour') : t('{0} hours', n));
  if (s < 60) return inSeconds(s);
  const minutes = Math.round(s / 60);
  if (minutes < 60) return inMinutes(minutes);
  const hours = Math.floor(minutes / 60);
  if (hours >= 48) return Math.round(hours / 24) === 1 ? t('1 day') : t('{0} days', Math.round(hours / 24));
  return minutes % 60 ? `${inHours(hours)} ${inMinutes(minutes % 60)}` : inHours(hours);
}

function filesInWords(progress: JobProgress): string {
  if (progress.filesTotal === 0) return t('no files');
  if (progress.filesTotal === 1) return progress.filesTransferred === 1 ? t('1 file, transferred') : t('1 file');
  return t('{0} of {1} files transferred', progress.filesTransferred, progress.filesTotal);
}

export function jobAccessibilityLabel(job: JobSnapshot, progress: JobProgress, now = Date.now()): string {
  const parts = [t('Download job {0}', job.displayName), stateLabels[job.state]];
  const percent = percentDone(progress);
  if (job.state === JobState.ERROR || job.state === JobState.TRANSIENT_ERROR) {
    parts.push(shortError(job));
    if (job.state === JobState.TRANSIENT_ERROR && job.retryAt !== undefined)
      parts.push(t('retries in {0}', durationInWords((job.retryAt - now) / 1000)));
  }
  if (percent !== undefined) parts.push(t('{0} percent', percent));
  parts.push(
    progress.bytesTotal === null
      ? t('{0} so far', bytesInWords(progress.bytesTransferred))
      : t('{0} of {1}', bytesInWords(progress.bytesTransferred), bytesInWords(progress.bytesTotal)),
    filesInWords(progress),
  );
  if (job.state === JobState.TRANSFERRING && progress.rate > 0) {
    parts.push(t('{0} per second', bytesInWords(progress.rate)));
    if (progress.bytesTotal !== null)
      parts.push(t('{0} left', durationInWords((progress.bytesTotal - progress.bytesTransferred) / progress.rate)));
  }
  if (job.owner !== 'workspace') parts.push(t('made by {0}', job.owner));
  return parts.filter(Boolean).join(', ');
}

export function fileAccessibilityLabel(file: FileRecord, downloadingNow: boolean, folder: string): string {
  const status = file.transferred
    ? t('transferred')
    : downloadingNow
      ? t('downloading')
      : file.bytesTransferred > 0
        ? t('partly downloaded')
        : t('waiting');
  const size =
    file.bytesTotal === null
      ? t('{0}, total size unknown', bytesInWords(file.bytesTransferred))
      : file.transferred
        ? bytesInWords(file.bytesTotal)
        : t(
            '{0} percent, {1} of {2}',
            file.bytesTotal > 0 ? Math.floor((file.bytesTransferred / file.bytesTotal) * 100) : 0,
            bytesInWords(file.bytesTransferred),
            bytesInWords(file.bytesTotal),
          );
  return t('File {0}, {1}, {2}, saved to {3}', path.basename(file.localPath), status, size, folder);
}

export function errorAccessibilityLabel(job: JobSnapshot, codeName: string): string {
  return job.state === JobState.ERROR
    ? t('Error, the job stopped: {0}, {1}', codeName, shortError(job))
    : t('Transient error, the job will retry: {0}, {1}', codeName, shortError(job));
}
