// Names of the codes a dry run shows: the product's codes (errors.ts) and the CERT_E_* codes validators
// decline with (the helper's CertErrors), and the names of the BITS security flags.
import { codeName } from '../../core/errors';
import { SecurityFlags } from '../../core/model/job';
import { CertErrors } from '../helpers/chain';

const certNames = new Map<number, string>(Object.entries(CertErrors).map(([name, value]) => [value >>> 0, name]));

export function describeCode(code: number): string {
  const c = code >>> 0;
  if (c === 0) return 'S_OK';
  return certNames.get(c) ?? codeName(c);
}

const FLAG_NAMES: [number, string][] = [
  [SecurityFlags.ENABLE_CRL_CHECK, 'ENABLE_CRL_CHECK'],
  [SecurityFlags.IGNORE_CERT_CN_INVALID, 'IGNORE_CERT_CN_INVALID'],
  [SecurityFlags.IGNORE_CERT_DATE_INVALID, 'IGNORE_CERT_DATE_INVALID'],
  [SecurityFlags.IGNORE_UNKNOWN_CA, 'IGNORE_UNKNOWN_CA'],
  [SecurityFlags.IGNORE_CERT_WRONG_USAGE, 'IGNORE_CERT_WRONG_USAGE'],
];

/** The certificate-related flags set in `flags` (redirect flags do not matter to a dry run). */
export function securityFlagNames(flags: number): string[] {
  return FLAG_NAMES.filter(([bit]) => (flags & bit) !== 0).map(([, name]) => name);
}
