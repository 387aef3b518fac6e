// One codicon and colour per job state, all nine distinct, so a state reads from the icon alone.
import * as vscode from 'vscode';
import { JobState, type FileRecord } from '../../core/model/job';

const stateIcons: Record<JobState, [codicon: string, color: string]> = {
  [JobState.QUEUED]: ['clock', 'charts.blue'],
  [JobState.CONNECTING]: ['plug', 'charts.blue'],
  [JobState.TRANSFERRING]: ['cloud-download', 'charts.green'],
  [JobState.SUSPENDED]: ['debug-pause', 'charts.yellow'],
  [JobState.ERROR]: ['error', 'problemsErrorIcon.foreground'],
  [JobState.TRANSIENT_ERROR]: ['warning', 'problemsWarningIcon.foreground'],
  [JobState.TRANSFERRED]: ['pass', 'charts.green'],
  [JobState.ACKNOWLEDGED]: ['pass-filled', 'testing.iconPassed'],
  [JobState.CANCELLED]: ['circle-slash', 'disabledForeground'],
};

/** The codicon id of a state (tests check all nine differ). */
export function stateCodicon(state: JobState): string {
  return stateIcons[state][0];
}

export function stateIcon(state: JobState): vscode.ThemeIcon {
  const [id, color] = stateIcons[state];
  return new vscode.ThemeIcon(id, new vscode.ThemeColor(color));
}

export function fileIcon(file: FileRecord, isCurrent: boolean): vscode.ThemeIcon {
  if (file.transferred) return new vscode.ThemeIcon('check', new vscode.ThemeColor('charts.green'));
  if (isCurrent) return new vscode.ThemeIcon('arrow-down', new vscode.ThemeColor('charts.blue'));
  return new vscode.ThemeIcon(file.bytesTransferred > 0 ? 'circle-large-outline' : 'circle-outline');
}
