// Which verbs fit a job in which state (BITS's rules), shared by the tree's context values, the menus'
// `viewItem` regexes and the palette's quick picks, so a job is offered only what it can do.
// Built on the engine's own verb table (core/model/states), narrowed to what is worth offering a person
// (Resume on a job that is already running is allowed by BITS but does nothing). Pure (no vscode import).
import { JobState, type FileRecord, type JobSnapshot } from '../core/model/job';
import { ACTIVE_STATES, FINAL_STATES, isVerbAllowed } from '../core/model/states';

export type JobAction = 'resume' | 'suspend' | 'cancel' | 'complete' | 'retryNow' | 'setPriority' | 'addFile';

/** Capability names as they appear in context values, e.g. `job:transferring:canSuspend:canCancel:`. */
export const capabilityOf: Record<JobAction, string> = {
  resume: 'canResume',
  suspend: 'canSuspend',
  cancel: 'canCancel',
  complete: 'canComplete',
  retryNow: 'canRetry',
  setPriority: 'canSetPriority',
  addFile: 'canAddFile',
};

// The states themselves are the engine's (core/model/states); these name the groups the UI asks about.

/** Completed (ACKNOWLEDGED) or cancelled: nothing more can happen to the job (the engine's FINAL_STATES). */
export function isFinal(state: JobState): boolean {
  return FINAL_STATES.has(state);
}

/** Bytes are moving or about to (the engine's ACTIVE_STATES): what the status bar follows. */
export function isTransferring(state: JobState): boolean {
  return ACTIVE_STATES.has(state);
}

/** The engine is working on it, or will again after a retry delay: counted in the view's badge. */
export function isActive(state: JobState): boolean {
  return isTransferring(state) || state === JobState.TRANSIENT_ERROR;
}

export function canDo(job: JobSnapshot, action: JobAction): boolean {
  const s = job.state;
  if (!isVerbAllowed(action, s)) return false;
  switch (action) {
    case 'resume':
      return s === JobState.SUSPENDED || s === JobState.ERROR;
    case 'suspend':
      return isActive(s);
    case 'complete':
      // BITS completes in any state, keeping only whole files; offer it where it makes sense to a person.
      return s === JobState.TRANSFERRED || (!isTransferring(s) && job.files.some((f) => f.transferred));
    case 'retryNow':
    case 'cancel':
    case 'setPriority':
    case 'addFile':
      return true;
  }
}

const allActions = Object.keys(capabilityOf) as JobAction[];

/** `job:<state>:<capability>:...:` — every capability is followed by ':' so menus match `/:canSuspend:/`. */
export function jobContextValue(job: JobSnapshot): string {
  const caps = allActions.filter((a) => canDo(job, a)).map((a) => capabilityOf[a]);
  return ['job', JobState[job.state].toLowerCase(), ...caps].join(':') + ':';
}

/** The file exists at its final path (the job completed and this file was kept). */
export function fileIsDelivered(job: JobSnapshot, file: FileRecord): boolean {
  return job.state === JobState.ACKNOWLEDGED && file.transferred;
}

/** `file:<done|partial|pending>:[canReveal:]` */
export function fileContextValue(job: JobSnapshot, file: FileRecord): string {
  const status = file.transferred ? 'done' : file.bytesTransferred > 0 ? 'partial' : 'pending';
  return ['file', status, ...(fileIsDelivered(job, file) ? ['canReveal'] : [])].join(':') + ':';
}
