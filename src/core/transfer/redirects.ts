// The job's redirect policy (BITS security flags): allow silently, allow and report, or disallow; https to http
// only with its own flag; a bounded chain so a loop ends in a clear error.
import { BitsError, Codes, ErrorContext } from '../errors';
import { SecurityFlags } from '../model/job';
import { displayUrl } from '../util/url';

export const MAX_REDIRECTS = 10;

export function isRedirectStatus(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

export function redirectPolicy(flags: number): number {
  return flags & SecurityFlags.REDIRECT_POLICY_MASK;
}

/**
 * The URL to follow, or a BitsError (final: a redirect the policy forbids will not change by retrying).
 * `hops` counts the redirects already followed for this request.
 */
export function followRedirect(from: URL, location: string | undefined, status: number, flags: number, hops: number): URL {
  const fail = (code: number, message: string) => new BitsError(code, message, ErrorContext.REMOTE_FILE, { transient: false });
  if (!location) {
    throw new BitsError(
      Codes.BG_E_INVALID_SERVER_RESPONSE,
      `${displayUrl(from)} answered HTTP ${status} without a Location header.`,
      ErrorContext.REMOTE_FILE,
    );
  }
  if (redirectPolicy(flags) === SecurityFlags.REDIRECT_POLICY_DISALLOW) {
    throw fail(
      Codes.MD_E_REDIRECT_DISALLOWED,
      `${displayUrl(from)} redirected (HTTP ${status}) to ${displayUrl(location)}, and the job's redirect policy disallows redirects (security flag 0x200).`,
    );
  }
  if (hops >= MAX_REDIRECTS) {
    throw fail(
      Codes.MD_E_TOO_MANY_REDIRECTS,
      `More than ${MAX_REDIRECTS} redirects in a row, the last from ${displayUrl(from)} to ${displayUrl(location)}: probably a redirect loop on the server.`,
    );
  }
  let to: URL;
  try {
    to = new URL(location, from);
  } catch {
    throw new BitsError(
      Codes.BG_E_INVALID_SERVER_RESPONSE,
      `${displayUrl(from)} redirected to an invalid URL: ${displayUrl(location)}.`,
      ErrorContext.REMOTE_FILE,
    );
  }
  if (to.protocol !== 'http:' && to.protocol !== 'https:') {
    throw fail(
      Codes.BG_E_PROTOCOL_NOT_AVAILABLE,
      `${displayUrl(from)} redirected to ${to.protocol} URL ${displayUrl(to)}; only http and https can be downloaded.`,
    );
  }
  if (from.protocol === 'https:' && to.protocol === 'http:' && (flags & SecurityFlags.ALLOW_HTTPS_TO_HTTP_REDIRECT) === 0) {
    throw fail(
      Codes.MD_E_REDIRECT_HTTPS_TO_HTTP,
      `${displayUrl(from)} redirected to the unencrypted ${displayUrl(to)}; the job does not allow https-to-http redirects (security flag 0x800).`,
    );
  }
  return to;
}

/** Headers that carry credentials must not follow a redirect to another origin. */
const credentialHeaders = new Set(['authorization', 'cookie', 'proxy-authorization']);

export function headersForHop(
  headers: Record<string, string>,
  original: URL,
  hop: URL,
  writeOnlyNames: readonly string[],
): Record<string, string> {
  if (hop.origin === original.origin) return headers;
  const secret = new Set(writeOnlyNames.map((n) => n.toLowerCase()));
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => !credentialHeaders.has(name.toLowerCase()) && !secret.has(name.toLowerCase())),
  );
}
