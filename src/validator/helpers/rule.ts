// What a rule of a certificate policy says about one connection, and the parts rules share.
import type { CertificateRule, RuleOutcome, ValidationInput, ValidationResult } from '../managed-downloads-validator';
import { log } from './log';
import { matchesPattern, type HostPattern } from './host-patterns';

export const S_OK = 0;

export function describeResult(result: ValidationResult): { code: number; reason: string } {
  if (typeof result === 'number') return { code: result, reason: '' };
  return { code: result.code, reason: result.reason ?? '' };
}

export function endpointOf(input: ValidationInput): string {
  return `${input.endpoint.host}:${input.endpoint.port}`;
}

/**
 * A decline from a rule in report-only mode: logged with what it would have said, then accepted, so a
 * policy can be rolled out and watched before it blocks anything.
 */
export function asReportOnly(ruleName: string, input: ValidationInput, outcome: RuleOutcome): RuleOutcome {
  const { code, reason } = describeResult(outcome.result);
  if (code === S_OK) return outcome;
  log.warn(`[report-only] ${ruleName} would decline ${endpointOf(input)} (0x${(code >>> 0).toString(16).padStart(8, '0')}): ${reason}`);
  return { result: S_OK, vouched: outcome.vouched };
}

export abstract class HostRule implements CertificateRule {
  constructor(
    readonly name: string,
    protected readonly patterns: readonly HostPattern[],
    readonly reportOnly: boolean,
  ) {}

  get hosts(): string[] {
    return this.patterns.map((p) => p.text);
  }

  appliesToHost(host: string): boolean {
    return this.patterns.some((p) => matchesPattern(p, host));
  }

  abstract evaluate(input: ValidationInput): RuleOutcome | undefined;

  /** The rule alone as a verdict: S_OK when it accepts or does not apply. */
  check(input: ValidationInput): ValidationResult {
    return this.evaluate(input)?.result ?? S_OK;
  }
}
