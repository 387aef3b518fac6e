// What a screen reader says for each row of the Jobs view: the name, the state and the progress in words
// ("42 percent", "3.1 megabytes per second"), where the row itself shows symbols ("42% · 3.1 MB/s").
// Pure (no vscode import) so the wording is unit-tested in plain Node.
import * as path from 'node:path';
import { JobState, type FileRecord, type JobProgress, type JobSnapshot } from '../core/jobs/model';
import { formatBytes, percentDone, shortError, stateLabels } from './format';

const UNIT_WORDS: Record<string, string> = { B: 'bytes', KB: 'kilobytes', MB: 'megabytes', GB: 'gigabytes', TB: 'terabytes' };

/** 1536 -> "1.5 kilobytes". */
export function bytesInWords(bytes: number): string {
  const [value, unit] = formatBytes(bytes).split(' ');
  return unit ? `${value} ${UNIT_WORDS[unit] ?? unit}` : 'unknown size';
}

/** Seconds in words: "42 seconds", "3 minutes", "2 hours 5 minutes". */
export function durationInWords(seconds: number): string {
  const s = Math.ceil(Math.max(0, seconds));
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (s < 60) return plural(s, 'second');
  const minutes = Math.round(s / 60);
  if (minutes < 60) return plural(minutes, 'minute');
  const hours = Math.floor(minutes / 60);
  if (hours >= 48) return plural(Math.round(hours / 24), 'day');
  return minutes % 60 ? `${plural(hours, 'hour')} ${plural(minutes % 60, 'minute')}` : plural(hours, 'hour');
}

function filesInWords(progress: JobProgress): string {
  if (progress.filesTotal === 0) return 'no files';
  if (progress.filesTotal === 1) return progress.filesTransferred === 1 ? '1 file, transferred' : '1 file';
  return `${progress.filesTransferred} of ${progress.filesTotal} files transferred`;
}

export function jobAccessibilityLabel(job: JobSnapshot, progress: JobProgress, now = Date.now()): string {
  const parts = [`Download job ${job.displayName}`, stateLabels[job.state]];
  const percent = percentDone(progress);
  if (job.state === JobState.ERROR || job.state === JobState.TRANSIENT_ERROR) {
    parts.push(shortError(job));
    if (job.state === JobState.TRANSIENT_ERROR && job.retryAt !== undefined) parts.push(`retries in ${durationInWords((job.retryAt - now) / 1000)}`);
  }
  if (percent !== undefined) parts.push(`${percent} percent`);
  parts.push(
    progress.bytesTotal === null ? `${bytesInWords(progress.bytesTransferred)} so far` : `${bytesInWords(progress.bytesTransferred)} of ${bytesInWords(progress.bytesTotal)}`,
    filesInWords(progress),
  );
  if (job.state === JobState.TRANSFERRING && progress.rate > 0) {
    parts.push(`${bytesInWords(progress.rate)} per second`);
    if (progress.bytesTotal !== null) parts.push(`${durationInWords((progress.bytesTotal - progress.bytesTransferred) / progress.rate)} left`);
  }
  if (job.owner !== 'workspace') parts.push(`made by ${job.owner}`);
  return parts.filter(Boolean).join(', ');
}

export function fileAccessibilityLabel(file: FileRecord, downloadingNow: boolean, folder: string): string {
  const status = file.transferred ? 'transferred' : downloadingNow ? 'downloading' : file.bytesTransferred > 0 ? 'partly downloaded' : 'waiting';
  const size =
    file.bytesTotal === null
      ? `${bytesInWords(file.bytesTransferred)}, total size unknown`
      : file.transferred
        ? bytesInWords(file.bytesTotal)
        : `${file.bytesTotal > 0 ? Math.floor((file.bytesTransferred / file.bytesTotal) * 100) : 0} percent, ${bytesInWords(file.bytesTransferred)} of ${bytesInWords(file.bytesTotal)}`;
  return `File ${path.basename(file.localPath)}, ${status}, ${size}, saved to ${folder}`;
}

export function errorAccessibilityLabel(job: JobSnapshot, codeName: string): string {
  const kind = job.state === JobState.ERROR ? 'Error, the job stopped' : 'Transient error, the job will retry';
  return `${kind}: ${codeName}, ${shortError(job)}`;
}
