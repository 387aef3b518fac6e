// Messages between the extension host (or CLI) and the validator worker.
import type { ValidationInput } from './managed-downloads-validator';
import type { ValidatorOutcome } from '../core/tls/validator-outcome';

export interface WorkerData {
  file: string;
  code: string;
}

export type ToWorker = { type: 'call'; id: number; input: ValidationInput };

export type FromWorker =
  | { type: 'ready' }
  /** The file ran but does not give a validator (no default export function, or its top level threw). */
  | { type: 'load-error'; message: string }
  | { type: 'outcome'; id: number; outcome: ValidatorOutcome }
  /** A line for the log: the helper's `log`, the validator's console, a throw with its place. */
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };
