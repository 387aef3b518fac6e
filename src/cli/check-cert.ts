// `managed-downloads check-cert URL [--validator FILE.ts] [--security-flags N] [--json]`: the dry run of
// the certificate check (the editor's "Test Certificate Validator on URL..."): TLS handshake, phase 1
// with the given flags, the validator, and the chain, without sending a request. Exit 0 when a job would
// accept the certificate, 1 when it would not (or the server cannot be reached), 2 for bad usage (a URL
// that is not https included).
import { resolve } from 'node:path';
import { BitsError, Codes } from '../core/errors';
import { TrustStore } from '../core/tls/trust-store';
import { dryRun } from '../validator/authoring/dry-run';
import { dryRunText } from '../validator/authoring/dry-run-format';
import { errorJson, errorLine } from './error-report';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type CliIO } from './outcome';
import { checkCaFiles } from './trust';

export interface CheckCertArgs {
  url: string;
  validator?: string;
  securityFlags: number;
  /** --ca-file: extra CAs phase 1 trusts, as a job of this process would. */
  caFiles: readonly string[];
  json: boolean;
}

export async function checkCertCommand(args: CheckCertArgs, io: CliIO): Promise<number> {
  try {
    checkCaFiles(args.caFiles);
    const report = await dryRun({
      url: args.url,
      securityFlags: args.securityFlags,
      // What the CLI's jobs trust: Node's roots, the system store where Node reads it, NODE_EXTRA_CA_CERTS, --ca-file.
      trust: new TrustStore({ extraCaFiles: args.caFiles }),
      validatorFile: args.validator ? resolve(args.validator) : undefined,
    });
    io.stdout.write((args.json ? JSON.stringify(report, null, 2) : dryRunText(report)) + '\n');
    return report.accepted ? EXIT_OK : EXIT_FAILED;
  } catch (err) {
    if (!(err instanceof BitsError)) throw err;
    const { code, codeName, description } = errorJson(err);
    if (args.json) io.stdout.write(JSON.stringify({ url: args.url, accepted: false, error: { code, codeName, description } }) + '\n');
    io.stderr.write(errorLine(err) + '\n');
    // A URL that is not https is the caller's mistake; a server that cannot be reached is a failed check.
    return err.code === Codes.E_INVALIDARG || err.code === Codes.BG_E_PROTOCOL_NOT_AVAILABLE ? EXIT_USAGE : EXIT_FAILED;
  }
}
