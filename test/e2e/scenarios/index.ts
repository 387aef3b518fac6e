// The e2e scenarios, in the order run-e2e.mjs runs them (each in a fresh page of one code-server).
import type { Scenario } from '../context';
import { authoring } from './authoring';
import { downloads } from './downloads';
import { firstLook } from './first-look';
import { jobOptions } from './job-options';
import { twoWindows } from './two-windows';
import { viewActions } from './view-actions';
import { walkthrough } from './walkthrough';
import { windowLost } from './window-lost';

export const scenarios: Scenario[] = [firstLook, walkthrough, authoring, downloads, jobOptions, viewActions, twoWindows, windowLost];
