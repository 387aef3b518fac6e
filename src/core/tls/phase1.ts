// Phase 1: the platform check, on every connection, relaxed only by the job's security flags (BITS
// meanings). Each check runs on its own so the error names the one that failed and a flag relaxes
// only its own check.
import type { X509Certificate } from 'node:crypto';
import { Codes } from '../errors';
import { SecurityFlags } from '../jobs/model';
import { buildPath, dateProblem, nameProblem, usageProblem } from './chain';
import type { RevocationChecker } from './revocation';
import type { TrustStore } from './trust-store';

export type Phase1Check = 'chain' | 'date' | 'name' | 'usage' | 'revocation';

export interface Phase1Input {
  leaf: X509Certificate;
  /** What the server sent after the leaf. */
  sent: readonly X509Certificate[];
  /** The origin host the client asked for (never a proxy's). */
  host: string;
  securityFlags: number;
  trust: TrustStore;
  revocation: RevocationChecker;
  now?: Date;
}

export interface Phase1Failure {
  check: Phase1Check;
  code: number;
  reason: string;
}

export type Phase1Result = { ok: true; relaxed: Phase1Failure[] } | { ok: false; failures: Phase1Failure[]; code: number; reason: string };

const RELAXED_BY: Record<Exclude<Phase1Check, 'revocation'>, number> = {
  chain: SecurityFlags.IGNORE_UNKNOWN_CA,
  date: SecurityFlags.IGNORE_CERT_DATE_INVALID,
  name: SecurityFlags.IGNORE_CERT_CN_INVALID,
  usage: SecurityFlags.IGNORE_CERT_WRONG_USAGE,
};

const LABEL: Record<Phase1Check, string> = {
  chain: 'untrusted certificate authority',
  date: 'certificate date invalid',
  name: 'certificate name does not match the host',
  usage: 'certificate not valid for server authentication',
  revocation: 'revocation',
};

export async function verifyPhase1(input: Phase1Input): Promise<Phase1Result> {
  const now = input.now ?? new Date();
  const flags = input.securityFlags;
  const found: Phase1Failure[] = [];
  const built = buildPath(input.leaf, input.sent, input.trust);
  if (!built.trusted) found.push({ check: 'chain', code: Codes.ERROR_WINHTTP_SECURE_INVALID_CA, reason: built.problem ?? 'no trusted root' });
  // The dates of the path as built, or of everything the server sent when no trusted path exists.
  const datedPath = built.trusted ? built.path : [input.leaf, ...input.sent.filter((c) => !built.path.includes(c)), ...built.path.slice(1)];
  const date = dateProblem(datedPath, now);
  if (date) found.push({ check: 'date', code: Codes.ERROR_WINHTTP_SECURE_CERT_DATE_INVALID, reason: date });
  const name = nameProblem(input.leaf, input.host);
  if (name) found.push({ check: 'name', code: Codes.ERROR_WINHTTP_SECURE_CERT_CN_INVALID, reason: name });
  const usage = usageProblem(built.path);
  if (usage) found.push({ check: 'usage', code: Codes.ERROR_WINHTTP_SECURE_CERT_WRONG_USAGE, reason: usage });

  const relaxed = found.filter((f) => f.check !== 'revocation' && (flags & RELAXED_BY[f.check as keyof typeof RELAXED_BY]) !== 0);
  const failures = found.filter((f) => !relaxed.includes(f));
  // Revocation only when asked (0x1), and only for a certificate that otherwise passes: no point fetching CRLs for a refusal.
  if (failures.length === 0 && (flags & SecurityFlags.ENABLE_CRL_CHECK) !== 0) {
    const verdict = await input.revocation.check(built.path);
    if (verdict.revoked) failures.push({ check: 'revocation', code: Codes.ERROR_WINHTTP_SECURE_CERT_REVOKED, reason: verdict.revoked });
    else if (verdict.unknown) failures.push({ check: 'revocation', code: Codes.ERROR_WINHTTP_SECURE_CERT_REV_FAILED, reason: verdict.unknown });
  }
  if (failures.length === 0) return { ok: true, relaxed };
  const reason = failures.map((f) => `${LABEL[f.check]}: ${f.reason}`).join('; ');
  return { ok: false, failures, code: failures[0].code, reason };
}
