// Messages between the host (extension host or CLI), the validator process's supervisor (its main
// thread) and the validator thread inside that process. Host to process: v8-serialized frames (inputs
// carry bytes). Process to host: JSON frames, read by the host as untrusted input (the validator can
// write to the pipe itself), each field checked and every string capped there.
import type { ValidationInput } from './managed-downloads-validator';
import type { ValidatorOutcome } from '../core/tls/validator-outcome';
import type { StuckLocation } from './stuck-location';

/** What the validator thread is started with. */
export interface WorkerData {
  file: string;
  code: string;
}

export type ToProcess =
  /** The first message: which validator to load, within which heap. */
  | { type: 'load'; file: string; code: string; heapLimitMb: number; rssLimitMb: number }
  | { type: 'call'; id: number; input: ValidationInput }
  /** A call or the load did not answer in time: where is the validator thread? (the host stops the process next) */
  | { type: 'locate' };

/** Validator thread to supervisor (same process). */
export type FromThread =
  /** The thread is up and about to run the file's top-level code: the load's time limit counts from here. */
  | { type: 'started' }
  | { type: 'ready' }
  /** The file ran but does not give a validator (no default export function, or its top level threw). */
  | { type: 'load-error'; message: string }
  | { type: 'outcome'; id: number; outcome: ValidatorOutcome }
  /** A line for the log: the helper's `log`, the validator's console, a throw with its place. */
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };

export type FromProcess =
  | FromThread
  | { type: 'located'; location: StuckLocation }
  /** The process passed its memory ceiling and is stopping itself. */
  | { type: 'memory'; rssMb: number; limitMb: number }
  /** The validator thread ended (process.exit in the validator, a crash, a heap overrun). */
  | { type: 'died'; why: string };
