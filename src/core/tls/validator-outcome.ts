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

/**
 * The longest decline reason kept: a reason lands in the job's error (its file in the store) and in the
 * rejection log on every retry, so a validator must not be able to make either grow without bound.
 */
export const MAX_REASON_CHARS = 1024;
/** The longest line of a validator's log (its `log` helper, its console) that reaches the host's log. */
export const MAX_LOG_LINE_CHARS = 4096;

/** `text` cut to at most `max` characters, saying so (cutting again changes nothing); other values become their string first. */
export function capText(text: unknown, max: number): string {
  const s = typeof text === 'string' ? text : String(text);
  if (s.length <= max) return s;
  const note = `... (truncated: ${s.length} characters)`;
  return s.slice(0, Math.max(0, max - note.length)) + note;
}

function isHresult(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= -0x80000000 && n <= 0xffffffff;
}

function describeJunk(value: unknown): string {
  if (value === undefined) return 'undefined (did the validator forget to return?)';
  try {
    const text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
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
    const text =
      reason === undefined || reason === null || reason === ''
        ? `the validator returned ${formatCode(code)}`
        : capText(stringOf(reason), MAX_REASON_CHARS);
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
  return { kind: 'decline', code, reason: capText(`the validator threw: ${error.message ?? 'an error'}${where}`, MAX_REASON_CHARS) };
}

/** A reason's text; a value whose toString throws (or is huge) must not break or flood the host. */
function stringOf(value: unknown): string {
  try {
    return String(value);
  } catch {
    return '(a reason that cannot be shown as text)';
  }
}

/**
 * An outcome as it arrives from the validator's process, which the validator could have written itself:
 * anything that is not exactly one of the three shapes, with an HRESULT code and short text, fails closed.
 */
export function checkedOutcome(raw: unknown): ValidatorOutcome {
  const o = (typeof raw === 'object' && raw !== null ? raw : {}) as { kind?: unknown; code?: unknown; reason?: unknown };
  if (o.kind === 'accept') return { kind: 'accept' };
  if (o.kind === 'decline' && isHresult(o.code) && o.code !== 0)
    return { kind: 'decline', code: o.code >>> 0, reason: capText(typeof o.reason === 'string' ? o.reason : '', MAX_REASON_CHARS) };
  if (o.kind === 'unavailable')
    return { kind: 'unavailable', reason: capText(typeof o.reason === 'string' ? o.reason : '', MAX_REASON_CHARS) };
  return { kind: 'decline', code: E_UNEXPECTED, reason: 'the validator process sent an answer that is not a valid outcome' };
}
