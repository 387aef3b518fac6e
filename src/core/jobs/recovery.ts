// Recovery of the stored jobs when an engine opens: which are old enough to drop, and how each unfinished one
// continues (back in line, waiting for its retry, or completed), its bytes counted again from its temp files.
import { JobState, type JobRecord, type JobSnapshot } from '../model/job';
import { ACTIVE_STATES, FINAL_STATES } from '../model/states';
import { segmentedBytes, segmentsAreSound } from '../transfer/segments';
import { sizeOf } from '../transfer/temp-file';

export interface RecoveryOptions {
  /** JobEngineOptions.resumeStoredJobs: continue every job, none, or those it accepts. */
  resume: boolean | ((job: JobSnapshot) => boolean);
  /** A final job modified longer ago than this is removed. */
  retentionMs: number;
  now: number;
}

/** What the engine does with a recovered job once it has its slot. */
export type NextStep =
  /** Shown as it is: final, not ours to run, or waiting for a verb (SUSPENDED, ERROR). */
  | { kind: 'none' }
  /** Was in line or running: back in line as QUEUED, and stored so. */
  | { kind: 'save' }
  /** In TRANSIENT_ERROR: its retry is due at `at` (now, if that time has passed). */
  | { kind: 'retry'; at: number }
  /** TRANSFERRED with autoComplete: the process that ran it ended before putting its files in place. */
  | { kind: 'autoComplete' };

export interface RecoveredJob {
  record: JobRecord;
  /** Ours to run (resumeStoredJobs said so). */
  resume: boolean;
  next: NextStep;
}

/** The stored jobs, oldest first, split into the ones to remove (by id) and the ones to keep. */
export async function recoverStoredJobs(jobs: JobRecord[], options: RecoveryOptions): Promise<{ expired: string[]; kept: RecoveredJob[] }> {
  const { now } = options;
  const expired: string[] = [];
  const kept: RecoveredJob[] = [];
  jobs.sort((a, b) => a.times.created.localeCompare(b.times.created));
  for (const record of jobs) {
    if (FINAL_STATES.has(record.state) && now - Date.parse(record.times.modified) > options.retentionMs) {
      expired.push(record.id);
      continue;
    }
    const resume = typeof options.resume === 'function' ? options.resume(structuredClone(record)) : options.resume;
    if (!resume || FINAL_STATES.has(record.state)) {
      kept.push({ record, resume, next: { kind: 'none' } });
      continue;
    }
    await recountBytes(record);
    // Time with the engine closed is not "no progress": the window starts again now.
    record.lastProgressAt = now;
    kept.push({ record, resume, next: nextStep(record, now) });
  }
  return { expired, kept };
}

/**
 * The temp files are the truth about the bytes received; the record may lag by one coalesced write. A segmented
 * file's temp file has holes: its record says which bytes are in it.
 */
async function recountBytes(record: JobRecord): Promise<void> {
  for (const f of record.files) {
    if (f.transferred) continue;
    if (f.segments === undefined) f.bytesTransferred = await sizeOf(f.tempPath).catch(() => f.bytesTransferred);
    // A damaged split counts for nothing; the transfer drops it and starts the file again.
    else f.bytesTransferred = segmentsAreSound(f.segments, f.bytesTotal) ? segmentedBytes(f.segments) : 0;
  }
}

/** How a job ours to run continues; a job that was running goes back to QUEUED here. */
function nextStep(record: JobRecord, now: number): NextStep {
  if (ACTIVE_STATES.has(record.state)) {
    record.state = JobState.QUEUED;
    return { kind: 'save' };
  }
  if (record.state === JobState.TRANSIENT_ERROR) return { kind: 'retry', at: Math.max(now, record.retryAt ?? now) };
  if (record.state === JobState.TRANSFERRED && record.autoComplete) return { kind: 'autoComplete' };
  return { kind: 'none' };
}
