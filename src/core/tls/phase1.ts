// Phase 1: the platform check, on every connection, relaxed only by the job's security flags (BITS meanings).
// OpenSSL builds and verifies the chain during the handshake, with the trust store and security level 2; its
// verdict is the floor. The host name is checked by Node's own checkServerIdentity. This code only names a
// failure precisely and relaxes exactly what a flag names: when OpenSSL's failure belongs to a family a flag
// relaxes (unknown CA 0x8, date 0x4, wrong usage 0x10), every check OpenSSL would also have made runs here so
// that nothing else (a weak signature or key, a violated constraint) hides behind the relaxed one.
import type { X509Certificate } from 'node:crypto';
import { Codes } from '../errors';
import { SecurityFlags } from '../model/job';
import { buildPath, constraintsProblem, dateProblem, nameProblem, strengthProblem, usageProblem } from './chain';
import { describePlatformError, relaxableFamily, type PlatformVerdict } from './platform-verdict';
import type { RevocationChecker } from './revocation';
import type { TrustStore } from './trust-store';

/** The checks a flag can relax, then those none can. */
export type Phase1Check = 'chain' | 'date' | 'name' | 'usage' | 'revocation' | 'strength' | 'constraints' | 'platform';
export type RelaxedCheck = 'chain' | 'date' | 'name' | 'usage';

export interface Phase1Input {
  leaf: X509Certificate;
  /** What the server sent after the leaf. */
  sent: readonly X509Certificate[];
  /** The origin host the client asked for (never a proxy's). */
  host: string;
  securityFlags: number;
  trust: TrustStore;
  revocation: RevocationChecker;
  /** OpenSSL's verdict on the chain from the handshake (without the host name, which is checked here). */
  platform: PlatformVerdict;
  now?: Date;
}

export interface Phase1Failure {
  check: Phase1Check;
  code: number;
  reason: string;
}

export type Phase1Result =
  | { ok: true; relaxed: (Phase1Failure & { check: RelaxedCheck })[] }
  | { ok: false; failures: Phase1Failure[]; code: number; reason: string };

const RELAXED_BY: Record<RelaxedCheck, number> = {
  chain: SecurityFlags.IGNORE_UNKNOWN_CA,
  date: SecurityFlags.IGNORE_CERT_DATE_INVALID,
  name: SecurityFlags.IGNORE_CERT_CN_INVALID,
  usage: SecurityFlags.IGNORE_CERT_WRONG_USAGE,
};

const CODE: Record<Phase1Check, number> = {
  chain: Codes.ERROR_WINHTTP_SECURE_INVALID_CA,
  date: Codes.ERROR_WINHTTP_SECURE_CERT_DATE_INVALID,
  name: Codes.ERROR_WINHTTP_SECURE_CERT_CN_INVALID,
  usage: Codes.ERROR_WINHTTP_SECURE_CERT_WRONG_USAGE,
  revocation: Codes.ERROR_WINHTTP_SECURE_CERT_REV_FAILED,
  strength: Codes.ERROR_WINHTTP_SECURE_INVALID_CERT,
  constraints: Codes.ERROR_WINHTTP_SECURE_INVALID_CERT,
  platform: Codes.ERROR_WINHTTP_SECURE_INVALID_CERT,
};

const LABEL: Record<Phase1Check, string> = {
  chain: 'untrusted certificate authority',
  date: 'certificate date invalid',
  name: 'certificate name does not match the host',
  usage: 'certificate not valid for server authentication',
  revocation: 'revocation',
  strength: 'weak certificate (no flag relaxes this)',
  constraints: 'certificate constraint violated (no flag relaxes this)',
  platform: 'refused by OpenSSL (no flag relaxes this)',
};

function isRelaxable(check: Phase1Check): check is RelaxedCheck {
  return check in RELAXED_BY;
}

/** Every check this code can make on the chain, each named; run only when OpenSSL's verdict needs naming or relaxing. */
function analyse(input: Phase1Input, now: Date): Phase1Failure[] {
  const found: Phase1Failure[] = [];
  const add = (check: Phase1Check, reason: string | undefined) => reason && found.push({ check, code: CODE[check], reason });
  const built = buildPath(input.leaf, input.sent, input.trust);
  if (!built.trusted) add('chain', built.problem ?? 'no trusted root');
  // Without a trusted path, the checks below look at everything the server sent, in the order it chained.
  const path = built.trusted ? built.path : [...built.path, ...input.sent.filter((c) => !built.path.includes(c))];
  add('date', dateProblem(path, now));
  add('usage', usageProblem(built.path));
  add('strength', strengthProblem(built.path));
  add('constraints', constraintsProblem(built.path));
  return found;
}

export async function verifyPhase1(input: Phase1Input): Promise<Phase1Result> {
  const now = input.now ?? new Date();
  const flags = input.securityFlags;
  const liftedByFlags = (f: Phase1Failure): f is Phase1Failure & { check: RelaxedCheck } =>
    isRelaxable(f.check) && (flags & RELAXED_BY[f.check]) !== 0;
  /** Failures that stand whatever the flags say, and findings a flag may lift. */
  const standing: Phase1Failure[] = [];
  const findings: Phase1Failure[] = [];
  const name = nameProblem(input.leaf, input.host);
  if (name) findings.push({ check: 'name', code: CODE.name, reason: name });
  if (!input.platform.authorized) {
    const error = input.platform.error ?? 'UNSPECIFIED';
    const family = relaxableFamily(error);
    const described: Phase1Failure = {
      check: family ?? 'platform',
      code: CODE[family ?? 'platform'],
      reason: describePlatformError(error),
    };
    const own = analyse(input, now);
    if (family && liftedByFlags(described)) {
      // OpenSSL's failure is one the flag names; whatever else this code finds decides the rest.
      if (!own.some((f) => f.check === family)) findings.push(described);
      findings.push(...own);
    } else {
      // OpenSSL's refusal stands, named by this code's own finding of the same kind where there is one.
      const kinds: Phase1Check[] = family ? [family] : ['strength', 'constraints'];
      const named = own.find((f) => kinds.includes(f.check)) ?? described;
      standing.push(named);
      findings.push(...own.filter((f) => f !== named));
    }
  }
  const relaxed = findings.filter(liftedByFlags);
  // Failures no flag could lift come first: the code and the first words tell what to fix, and a flag will not.
  const failures = [...standing, ...findings.filter((f) => !liftedByFlags(f))].sort(
    (a, b) => Number(isRelaxable(a.check)) - Number(isRelaxable(b.check)),
  );
  // Revocation only when asked (0x1), and only for a certificate that otherwise passes: no point fetching CRLs for a refusal.
  if (failures.length === 0 && (flags & SecurityFlags.ENABLE_CRL_CHECK) !== 0) {
    const verdict = await input.revocation.check(buildPath(input.leaf, input.sent, input.trust).path);
    if (verdict.revoked) failures.push({ check: 'revocation', code: Codes.ERROR_WINHTTP_SECURE_CERT_REVOKED, reason: verdict.revoked });
    else if (verdict.unknown)
      failures.push({ check: 'revocation', code: Codes.ERROR_WINHTTP_SECURE_CERT_REV_FAILED, reason: verdict.unknown });
  }
  if (failures.length === 0) return { ok: true, relaxed };
  const reason = failures.map((f) => `${LABEL[f.check]}: ${f.reason}`).join('; ');
  return { ok: false, failures, code: failures[0].code, reason };
}
