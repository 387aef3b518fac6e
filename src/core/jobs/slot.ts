// The engine's in-memory companion of a job record: its run, timers, place in line and flags.
import type { JobRecord } from '../model/job';
import type { RateMeter } from '../model/progress';
import type { JobSnapshots } from './snapshot';

export interface ActiveRun {
  controller: AbortController;
  done: Promise<void>;
  /** Aborted on purpose (suspend, preempt, cancel, complete, dispose): its end changes no state. */
  stopping: boolean;
  sliceTimer?: NodeJS.Timeout;
}

export interface Slot {
  record: JobRecord;
  /** Place in line among equal priorities. */
  ticket: number;
  run?: ActiveRun;
  retryTimer?: NodeJS.Timeout;
  progressTimer?: NodeJS.Timeout;
  lastProgressEvent: number;
  rate: RateMeter;
  /** Loaded but not ours to run (resumeStoredJobs false) until a verb touches it. */
  adopted: boolean;
  /** Kept out of scheduling while a verb (cancel, complete) works on its files. */
  held: boolean;
  /** The next run continues after a transient error: the no-progress window keeps counting. */
  retrying: boolean;
  /** Verbs on one job run one at a time. */
  lock: Promise<unknown>;
  /** Its snapshots, which share the frozen copies of files that did not change. */
  snapshots: JobSnapshots;
}
