// certificatePolicy: the rules of a validator combined into its default export. Every rule that applies
// to the connection must accept; a host whose chain the platform let through only because the job allows
// unknown CAs (security flag 0x8) must be vouched for by a rule (a private CA, an inspection root).
import type {
  CertificatePolicyOptions,
  CertificateRule,
  ValidationInput,
  ValidationResult,
  Validator,
} from '../managed-downloads-validator';
import { CertErrors } from './chain';
import { ValidatorConfigError } from './config-error';
import { log } from './log';
import { describeResult, endpointOf, S_OK } from './rule';

function isRule(value: unknown): value is CertificateRule {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as CertificateRule).evaluate === 'function' &&
    typeof (value as CertificateRule).name === 'string'
  );
}

export function certificatePolicy(options: CertificatePolicyOptions): Validator {
  const rules = options?.rules;
  if (!Array.isArray(rules)) throw new ValidatorConfigError('certificatePolicy needs { rules: [pinSet(...), privateCa(...), ...] }');
  rules.forEach((r, i) => {
    if (!isRule(r))
      throw new ValidatorConfigError(`certificatePolicy: rules[${i}] is not a rule; make rules with pinSet, privateCa or inspectionRoot`);
  });
  const unknownCa = options.unvouchedUnknownCa ?? 'decline';
  if (unknownCa !== 'decline' && unknownCa !== 'accept')
    throw new ValidatorConfigError(`certificatePolicy: unvouchedUnknownCa is 'decline' or 'accept' (got ${JSON.stringify(unknownCa)})`);
  const reportOnly = options.reportOnly === true;

  const judge = (input: ValidationInput): ValidationResult => {
    let vouched = false;
    for (const rule of rules) {
      const outcome = rule.evaluate(input);
      if (!outcome) continue;
      if (describeResult(outcome.result).code !== S_OK) return outcome.result;
      vouched ||= outcome.vouched;
    }
    if (!vouched && unknownCa === 'decline' && input.phase1Relaxed?.includes('chain')) {
      return {
        code: CertErrors.CERT_E_UNTRUSTEDROOT,
        reason: `${endpointOf(input)} has a certificate from an unknown CA ('${input.certStore[input.certStore.length - 1]?.issuer ?? '?'}'): the platform check let it through only because the job allows unknown CAs (security flag 0x8), and no rule of this validator vouches for this host (add privateCa({ hosts, roots }) for it)`,
      };
    }
    return S_OK;
  };

  return (input) => {
    const result = judge(input);
    const { code, reason } = describeResult(result);
    if (code === S_OK || !reportOnly) return result;
    log.warn(`[report-only] would decline ${endpointOf(input)} (0x${(code >>> 0).toString(16).padStart(8, '0')}): ${reason}`);
    return S_OK;
  };
}
