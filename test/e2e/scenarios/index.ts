// The e2e scenarios, in the order run-e2e.mjs runs them (each in a fresh page of one code-server).
import type { Scenario } from '../context';
import { authoring } from './authoring';
import { downloads } from './downloads';
import { firstLook } from './first-look';
import { twoWindows } from './two-windows';
import { walkthrough } from './walkthrough';

export const scenarios: Scenario[] = [firstLook, walkthrough, authoring, downloads, twoWindows];
