// Write-only headers on the command line: credential headers (Authorization, Proxy-Authorization, Cookie) given
// with --header, and every header in the MANAGED_DOWNLOADS_HEADERS environment variable ("Name: value" lines,
// which keeps tokens out of the process list), are sent by this process only. The job records their names, never
// their values; a later `run` or `resume` sends them again when it has them in its own environment.
import { BitsError, Codes } from '../core/errors';
import type { JobSnapshot } from '../core/model/job';
import { checkHeaders } from '../core/model/validation';

export const HEADERS_ENV = 'MANAGED_DOWNLOADS_HEADERS';
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie']);

/** The environment variable's headers, checked like any custom header (a bad line names its header, not its value). */
export function headersFromEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const text = env[HEADERS_ENV];
  if (!text) return {};
  const headers: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const colon = line.indexOf(':');
    if (colon <= 0)
      throw new BitsError(
        Codes.E_INVALIDARG,
        `${HEADERS_ENV}: each line needs "Name: value" (a line without a name was found; its value is not shown). Fix the variable, then run the command again.`,
      );
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return checkHeaders(headers);
}

/** Splits the --header values into those stored with the job and the write-only ones (credentials, env). */
export function splitHeaders(
  given: Record<string, string>,
  env: NodeJS.ProcessEnv = process.env,
): { stored: Record<string, string>; writeOnly: Record<string, string> } {
  const stored: Record<string, string> = {};
  const writeOnly: Record<string, string> = {};
  for (const [name, value] of Object.entries(given)) (CREDENTIAL_HEADERS.has(name.toLowerCase()) ? writeOnly : stored)[name] = value;
  return { stored, writeOnly: { ...writeOnly, ...headersFromEnv(env) } };
}

/** The engine's headerSecrets for a CLI process: the job's write-only names, valued from what this process has. */
export function cliHeaderSecrets(have: Record<string, string>, namesOf: (jobId: string) => readonly string[] | undefined) {
  return (jobId: string): Record<string, string> => {
    const names = new Set((namesOf(jobId) ?? []).map((n) => n.toLowerCase()));
    return Object.fromEntries(Object.entries(have).filter(([name]) => names.has(name.toLowerCase())));
  };
}

/**
 * The job's write-only headers this process has no value for (made in VS Code, whose SecretStorage the CLI cannot
 * read, or by an earlier process): sending the job's requests without them would go out unauthenticated.
 */
export function missingSecretHeaders(job: JobSnapshot, have: Record<string, string>): string[] {
  if (job.files.every((f) => f.transferred)) return [];
  const known = new Set(Object.keys(have).map((n) => n.toLowerCase()));
  return (job.writeOnlyHeaderNames ?? []).filter((name) => !known.has(name.toLowerCase()));
}

/** What to do about `missing`, for a person reading it. */
export function missingSecretsAdvice(job: JobSnapshot, missing: readonly string[]): string {
  const names = missing.join(', ');
  return (
    `Job ${job.id.slice(0, 8)} ("${job.displayName}") has write-only header${missing.length === 1 ? '' : 's'} ${names} whose value${missing.length === 1 ? '' : 's'} this process does not have ` +
    `(a job made in VS Code keeps them in its secret storage, which the command line cannot read), so its requests were not sent. ` +
    `Put ${missing.length === 1 ? 'it' : 'them'} in ${HEADERS_ENV} ("Name: value" lines) and run the command again, or pass --without-secret-headers to send the requests without ${missing.length === 1 ? 'it' : 'them'}.`
  );
}
