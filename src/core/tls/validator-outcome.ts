// What a phase-2 validator said, reduced to three outcomes, and how a raw return value maps to them.
import { formatCode } from '../errors';

export type ValidatorOutcome =
  | { kind: 'accept' }
  | { kind: 'decline'; code: number; reason: string }
  /** The validator could not give an answer (not loaded, crashed, timed out, untrusted): not the server's fault. */
  | { kind: 'unavailable'; reason: string };

/** A loaded validator, whatever runs it (a worker for the workspace file; in-process for the API). */
export interface LoadedValidator {
  /** What it is, for messages: the file path, or the extension that set it. */
  readonly description: string;
  validate(input: import('../../validator/managed-downloads-validator').ValidationInput, timeLimitMs: number): Promise<ValidatorOutcome>;
  dispose?(): void | Promise<void>;
}

/** E_UNEXPECTED: the validator returned something that is neither an HRESULT nor `{ code, reason }`. */
export const E_UNEXPECTED = 0x8000ffff;

function isHresult(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= -0x80000000 && n <= 0xffffffff;
}

function describeJunk(value: unknown): string {
  if (value === undefined) return 'undefined (did the validator forget to return?)';
  try {
    const text = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
    return text.length > 120 ? text.slice(0, 117) + '...' : text;
  } catch {
    return String(value);
  }
}

/** Maps a validator's return value to an outcome. Anything unexpected declines: a broken validator fails closed. */
export function interpretResult(value: unknown): ValidatorOutcome {
  if (isHresult(value)) {
    if (value === 0) return { kind: 'accept' };
    return { kind: 'decline', code: value >>> 0, reason: `the validator returned ${formatCode(value)}` };
  }
  if (typeof value === 'object' && value !== null && 'code' in value && isHresult((value as { code: unknown }).code)) {
    const { code, reason } = value as { code: number; reason?: unknown };
    if (code === 0) return { kind: 'accept' };
    const text = reason === undefined || reason === null || reason === '' ? `the validator returned ${formatCode(code)}` : String(reason);
    return { kind: 'decline', code: code >>> 0, reason: text };
  }
  return {
    kind: 'decline',
    code: E_UNEXPECTED,
    reason: `the validator returned ${describeJunk(value)}, which is neither an HRESULT (0 accepts) nor { code, reason }`,
  };
}

/** A thrown error declines, with the error's numeric `code` when it carries an HRESULT, E_FAIL otherwise. */
export function interpretThrow(error: { message?: string; code?: unknown; where?: string }): ValidatorOutcome {
  const code = isHresult(error.code) && error.code !== 0 ? error.code >>> 0 : 0x80004005;
  const where = error.where ? ` (at ${error.where})` : '';
  return { kind: 'decline', code, reason: `the validator threw: ${error.message ?? 'an error'}${where}` };
}
