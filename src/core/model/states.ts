// Which verb BITS allows in which job state, in one table, so the engine, the UI and the CLI agree.
import { BitsError, Codes, ErrorContext } from '../errors';
import { JobState } from './job';

export type Verb =
  'addFile' | 'resume' | 'suspend' | 'cancel' | 'complete' | 'setPriority' | 'setProperties' | 'retryNow' | 'setValidatorSource' | 'remove';

/** States in which the engine is working on the job (a transfer may be running). */
export const ACTIVE_STATES: ReadonlySet<JobState> = new Set([JobState.QUEUED, JobState.CONNECTING, JobState.TRANSFERRING]);

/** ACKNOWLEDGED and CANCELLED: nothing more can happen to the job. */
export const FINAL_STATES: ReadonlySet<JobState> = new Set([JobState.ACKNOWLEDGED, JobState.CANCELLED]);

const notFinal = [
  JobState.QUEUED,
  JobState.CONNECTING,
  JobState.TRANSFERRING,
  JobState.SUSPENDED,
  JobState.ERROR,
  JobState.TRANSIENT_ERROR,
  JobState.TRANSFERRED,
];

/**
 * BITS's rules: every verb is refused on a final job; Suspend makes no sense once transferred; Retry Now only
 * where a retry is pending or the job failed; Remove only once the job is final.
 */
const allowed: Record<Verb, readonly JobState[]> = {
  addFile: notFinal,
  resume: notFinal,
  suspend: notFinal.filter((s) => s !== JobState.TRANSFERRED),
  cancel: notFinal,
  complete: notFinal,
  setPriority: notFinal,
  setProperties: notFinal,
  retryNow: [JobState.TRANSIENT_ERROR, JobState.ERROR],
  setValidatorSource: notFinal,
  remove: [JobState.ACKNOWLEDGED, JobState.CANCELLED],
};

export function isVerbAllowed(verb: Verb, state: JobState): boolean {
  return allowed[verb].includes(state);
}

/** Throws BG_E_INVALID_STATE naming the verb and the state, as a person would need to read it. */
export function assertVerbAllowed(verb: Verb, state: JobState, jobId: string): void {
  if (isVerbAllowed(verb, state)) return;
  const can = allowed[verb].map((s) => JobState[s]).join(', ');
  throw new BitsError(
    Codes.BG_E_INVALID_STATE,
    `Cannot ${verb} job ${jobId}: it is ${JobState[state]}. ${verb} is allowed only when the job is ${can}.`,
    ErrorContext.GENERAL_QUEUE_MANAGER,
  );
}

export function stateName(state: JobState): string {
  return JobState[state] ?? String(state);
}
