// Rules that vouch for a chain the platform does not trust: a private CA for named hosts, and a
// corporate TLS-inspection root accepted only for named hosts (and refused for every other host).
import type { X509Certificate } from 'node:crypto';
import type { InspectionRootOptions, PrivateCaOptions, RuleOutcome, ValidationInput } from '../managed-downloads-validator';
import { readableName } from '../../core/tls/certificate-view';
import { CertErrors, ChainPolicy, parseRoots, S_OK, verifyChainWith } from './chain';
import { ValidatorConfigError } from './config-error';
import { parseHostList } from './host-patterns';
import { asReportOnly, endpointOf, HostRule } from './rule';

function loadRoots(roots: ReadonlyArray<string | Uint8Array> | undefined, owner: string): X509Certificate[] {
  if (!Array.isArray(roots) || roots.length === 0)
    throw new ValidatorConfigError(`${owner}: give roots: [PEM text or DER bytes of the CA certificate(s)]`);
  let parsed: X509Certificate[];
  try {
    parsed = parseRoots(roots);
  } catch (e) {
    throw new ValidatorConfigError(
      `${owner}: a root could not be read as a certificate (${(e as Error).message}); give PEM text ("-----BEGIN CERTIFICATE-----...") or DER bytes`,
    );
  }
  if (parsed.length === 0)
    throw new ValidatorConfigError(`${owner}: roots holds no certificate (PEM text needs "-----BEGIN CERTIFICATE-----" blocks)`);
  return parsed;
}

export class PrivateCaRule extends HostRule {
  private readonly roots: X509Certificate[];
  private readonly policyFlags: number;

  constructor(options: PrivateCaOptions) {
    const owner = options?.name
      ? `private CA "${options.name}"`
      : `private CA for ${Array.isArray(options?.hosts) ? options.hosts.join(', ') : '?'}`;
    const patterns = parseHostList(options?.hosts, owner);
    const roots = loadRoots(options.roots, owner);
    super(options.name ?? `private CA for ${patterns.map((p) => p.text).join(', ')}`, patterns, options.reportOnly === true);
    this.roots = roots;
    this.policyFlags = options.policyFlags ?? 0;
  }

  /** Subjects of the roots, for messages. */
  get rootSubjects(): string[] {
    return this.roots.map((r) => readableName(r.subject));
  }

  evaluate(input: ValidationInput): RuleOutcome | undefined {
    if (!this.appliesToHost(input.endpoint.host)) return undefined;
    const verdict = verifyChainWith(input, this.roots, { policyFlags: this.policyFlags });
    if (verdict.code === S_OK) return { result: S_OK, vouched: true };
    const outcome: RuleOutcome = {
      result: {
        code: verdict.code,
        reason: `${this.name}: ${endpointOf(input)} is not vouched for by ${this.rootSubjects.join(' or ')}: ${verdict.reason}`,
      },
      vouched: false,
    };
    return this.reportOnly ? asReportOnly(this.name, input, outcome) : outcome;
  }
}

export class InspectionRootRule extends HostRule {
  private readonly roots: X509Certificate[];

  constructor(options: InspectionRootOptions) {
    const owner = options?.name ? `TLS-inspection root "${options.name}"` : 'TLS-inspection root';
    const patterns = parseHostList(options?.hosts, owner);
    const roots = loadRoots(options.roots, owner);
    super(options.name ?? `TLS-inspection root ${readableName(roots[0].subject)}`, patterns, options.reportOnly === true);
    this.roots = roots;
  }

  /** Applies to every connection whose chain ends at the inspection root, whatever the host. */
  evaluate(input: ValidationInput): RuleOutcome | undefined {
    // Ignore the name here: whether the chain was issued by the inspection root is the question.
    const issuedBy = verifyChainWith(input, this.roots, {
      policyFlags: ChainPolicy.IGNORE_INVALID_NAME | ChainPolicy.IGNORE_NOT_TIME_VALID | ChainPolicy.IGNORE_WRONG_USAGE,
    });
    if (!issuedBy.trusted) return undefined;
    let outcome: RuleOutcome;
    if (this.appliesToHost(input.endpoint.host)) {
      const verdict = verifyChainWith(input, this.roots, {});
      outcome =
        verdict.code === S_OK
          ? { result: S_OK, vouched: true }
          : { result: { code: verdict.code, reason: `${this.name}: ${verdict.reason}` }, vouched: false };
    } else {
      const root = readableName(issuedBy.chain[issuedBy.chain.length - 1].subject);
      outcome = {
        result: {
          code: CertErrors.CERT_E_UNTRUSTEDROOT,
          reason: `the connection to ${endpointOf(input)} is intercepted: its certificate was issued by the TLS-inspection root '${root}', which this validator accepts only for ${this.hosts.join(', ')}`,
        },
        vouched: false,
      };
    }
    return this.reportOnly ? asReportOnly(this.name, input, outcome) : outcome;
  }
}

export function privateCa(options: PrivateCaOptions): PrivateCaRule {
  return new PrivateCaRule(options);
}

export function inspectionRoot(options: InspectionRootOptions): InspectionRootRule {
  return new InspectionRootRule(options);
}
