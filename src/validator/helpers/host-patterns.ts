// Host patterns of pin sets and trust rules, with OkHttp's CertificatePinner rules: `example.com` exactly;
// `*.example.com` one label (a.example.com, not example.com, not a.b.example.com); `**.example.com` any
// number of labels, none included (example.com, a.example.com, a.b.example.com). IP addresses match exactly.
import { isIP } from 'node:net';
import { ValidatorConfigError } from './config-error';

export interface HostPattern {
  /** As written. */
  readonly text: string;
  readonly kind: 'exact' | 'one-label' | 'any-depth';
  /** Lower case, without the wildcard and its dot. */
  readonly base: string;
}

function normalizeHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

function validName(name: string): boolean {
  if (isIP(name)) return true;
  const labels = name.split('.');
  return name.length > 0 && name.length <= 253 && labels.every((l) => LABEL.test(l));
}

/** Checks and normalizes a pattern; throws ValidatorConfigError saying what is allowed. */
export function parseHostPattern(text: string, owner: string): HostPattern {
  if (typeof text !== 'string') throw new ValidatorConfigError(`${owner}: a host pattern must be a string (got ${typeof text})`);
  const p = normalizeHost(text);
  let kind: HostPattern['kind'] = 'exact';
  let base = p;
  if (p.startsWith('**.')) {
    kind = 'any-depth';
    base = p.slice(3);
  } else if (p.startsWith('*.')) {
    kind = 'one-label';
    base = p.slice(2);
  }
  if (base.includes('*') || !validName(base) || (kind !== 'exact' && isIP(base))) {
    throw new ValidatorConfigError(
      `${owner}: "${text}" is not a host pattern. Use a host name ("downloads.example.com"), "*.example.com" (one label) or "**.example.com" (any depth, example.com included), or an IP address; "*" only as the whole leftmost label.`,
    );
  }
  return { text, kind, base };
}

export function matchesPattern(pattern: HostPattern, host: string): boolean {
  const h = normalizeHost(host);
  switch (pattern.kind) {
    case 'exact':
      return h === pattern.base;
    case 'any-depth':
      return h === pattern.base || h.endsWith('.' + pattern.base);
    case 'one-label': {
      if (!h.endsWith('.' + pattern.base)) return false;
      const label = h.slice(0, h.length - pattern.base.length - 1);
      return label.length > 0 && !label.includes('.');
    }
  }
}

/** Whether `host` matches `pattern` (see the rules above). A malformed pattern throws. */
export function hostMatches(pattern: string, host: string): boolean {
  return matchesPattern(parseHostPattern(pattern, 'hostMatches'), host);
}

/** Parses a rule's `hosts`; at least one is required. */
export function parseHostList(hosts: readonly string[] | undefined, owner: string): HostPattern[] {
  if (!Array.isArray(hosts) || hosts.length === 0)
    throw new ValidatorConfigError(`${owner}: give the hosts it applies to, e.g. hosts: ['downloads.example.com', '*.cdn.example.com']`);
  return hosts.map((h) => parseHostPattern(h, owner));
}
