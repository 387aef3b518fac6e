// What the user reads when phase 2 cannot run, each saying what to fix. One place, like errors.ts.
import type { WorkspaceValidatorState } from './service';

export function unavailableMessage(state: WorkspaceValidatorState, jobName: string): string {
  const then = 'then resume the job.';
  switch (state.status) {
    case 'unset':
      return `Job '${jobName}' needs the workspace certificate validator, but none is set. Set managedDownloads.certificateValidator to a TypeScript file in the workspace (the CLI: --validator FILE.ts), ${then}`;
    case 'untrusted':
      return `The workspace is not trusted, so its certificate validator${state.file ? ` ${state.file}` : ''} is never run. Trust the workspace (Workspaces: Manage Workspace Trust), ${then}`;
    case 'missing':
      return `The certificate validator file ${state.file} does not exist. Create it or fix the setting managedDownloads.certificateValidator, ${then}`;
    case 'compile-error':
      return `The certificate validator ${state.file} does not compile: ${state.message}. Fix the file (it reloads when saved), ${then}`;
    case 'loading':
      return `The certificate validator ${state.file} did not finish loading in time. Resume the job to try again.`;
    case 'loaded':
      return `The certificate validator ${state.file} is loaded.`;
  }
}

export function apiValidatorMissingMessage(jobName: string, owner: string): string {
  return `Job '${jobName}' uses a certificate validator set by ${owner} through the API; validators are not kept across restarts and it has not been set again. ${owner} must call setCertificateValidator for this job, then resume it.`;
}

export function validatorFailedMessage(description: string, reason: string): string {
  return `The certificate validator ${description} could not give an answer: ${reason}. Fix the validator, then resume the job.`;
}
