// Which proxy a request goes through, with VS Code's rules: the `http.proxy` setting wins over the
// HTTPS_PROXY / HTTP_PROXY variables; `http.noProxy` and NO_PROXY list hosts that go direct.
import { BitsError, Codes, ErrorContext } from '../errors';

export interface ProxySettings {
  /** `http.proxy`: http://[user:pass@]host:port or https://...; empty: use the environment. */
  proxy?: string;
  /** `http.noProxy`: hosts that bypass the proxy. */
  noProxy?: readonly string[];
  /** `http.proxyStrictSSL` (default true): verify an https proxy's own certificate. */
  strictSSL?: boolean;
  /** `http.proxyAuthorization`: the Proxy-Authorization header value, e.g. `Basic dXNlcjpwYXNz`. */
  authorization?: string;
  /** The environment to read HTTPS_PROXY / HTTP_PROXY / NO_PROXY from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

export interface ResolvedProxy {
  url: URL;
  /** The Proxy-Authorization header to send, when any. */
  authorization?: string;
  strictSSL: boolean;
}

function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name] ?? env[name.toLowerCase()];
  return v && v.trim() ? v.trim() : undefined;
}

function defaultPort(protocol: string): number {
  return protocol === 'https:' ? 443 : 80;
}

/** One NO_PROXY entry: `*`, a host, `.domain` / `*.domain` / `domain` (and its subdomains), optionally `:port`, or an IPv4 CIDR. */
function entryMatches(entry: string, host: string, port: number): boolean {
  let e = entry.trim().toLowerCase();
  if (!e) return false;
  if (e === '*') return true;
  const cidr = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(e);
  if (cidr) return ipv4InCidr(host, cidr[1], Number(cidr[2]));
  const portMatch = /^(.*):(\d+)$/.exec(e);
  if (portMatch && !e.startsWith('[')) {
    if (Number(portMatch[2]) !== port) return false;
    e = portMatch[1];
  }
  if (e.startsWith('*.')) e = e.slice(1);
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  e = e.replace(/^\[|\]$/g, '');
  if (e.startsWith('.')) return h.endsWith(e) || h === e.slice(1);
  return h === e || h.endsWith('.' + e);
}

function ipv4ToInt(ip: string): number | undefined {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

function ipv4InCidr(host: string, base: string, bits: number): boolean {
  const h = ipv4ToInt(host);
  const b = ipv4ToInt(base);
  if (h === undefined || b === undefined || bits < 0 || bits > 32) return false;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return (h & mask) === (b & mask);
}

export function bypassesProxy(target: URL, noProxy: readonly string[]): boolean {
  const port = target.port ? Number(target.port) : defaultPort(target.protocol);
  return noProxy.some((entry) => entryMatches(entry, target.hostname, port));
}

/** The proxy for a request to `target`, or undefined to go direct. A malformed proxy URL is a clear error. */
export function resolveProxy(target: URL, settings: ProxySettings = {}): ResolvedProxy | undefined {
  const env = settings.env ?? process.env;
  const configured = settings.proxy?.trim();
  const raw =
    configured ||
    (target.protocol === 'https:' ? (envValue(env, 'HTTPS_PROXY') ?? envValue(env, 'HTTP_PROXY')) : envValue(env, 'HTTP_PROXY'));
  if (!raw) return undefined;
  const noProxy = [...(settings.noProxy ?? []), ...(envValue(env, 'NO_PROXY')?.split(',') ?? [])];
  if (bypassesProxy(target, noProxy)) return undefined;
  const source = configured
    ? 'the setting http.proxy'
    : target.protocol === 'https:' && envValue(env, 'HTTPS_PROXY')
      ? 'HTTPS_PROXY'
      : 'HTTP_PROXY';
  const shown = redactProxy(raw);
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
  } catch {
    throw new BitsError(
      Codes.BG_E_INVALID_PROXY_INFO,
      `The proxy '${shown}' (from ${source}) is not a valid URL: ${whatIsWrong(raw)}. Fix ${source}; it should look like http://proxy.example:3128.`,
      ErrorContext.GENERAL_TRANSPORT,
      { transient: false },
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new BitsError(
      Codes.BG_E_INVALID_PROXY_INFO,
      `The proxy '${shown}' (from ${source}) uses ${url.protocol}; only http:// and https:// proxies are supported. Fix ${source}.`,
      ErrorContext.GENERAL_TRANSPORT,
      { transient: false },
    );
  }
  let authorization = settings.authorization?.trim() || undefined;
  if (!authorization && url.username) {
    authorization = 'Basic ' + Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64');
  }
  return { url, authorization, strictSSL: settings.strictSSL ?? true };
}

/** The proxy URL without credentials, for messages and logs. */
export function describeProxy(url: URL): string {
  return `${url.protocol}//${url.host}`;
}

/**
 * The proxy as it was given, for messages: a user name and password in it (everything before the last `@` of
 * what follows the scheme) become `***`, even when the rest does not parse, and it is bounded and printable.
 */
export function redactProxy(raw: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(raw)?.[0] ?? '';
  const rest = raw.slice(scheme.length);
  const at = rest.lastIndexOf('@');
  const shown = at < 0 ? raw : `${scheme}***@${rest.slice(at + 1)}`;
  const clean = shown.replace(/\p{Cc}/gu, '?');
  return clean.length > 200 ? `${clean.slice(0, 200)}...` : clean;
}

/** Why a proxy that URL parsing refused is wrong, in words (the parser only says "Invalid URL"). */
function whatIsWrong(raw: string): string {
  const authority = raw.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').split(/[/?#]/)[0];
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  if (/\s/.test(raw)) return 'it contains a space';
  if (hostPort.startsWith('[') && !hostPort.includes(']')) return 'its IPv6 address lacks the closing ]';
  if (!hostPort || hostPort.startsWith(':')) return 'it has no host name';
  const port = /^(?:\[[^\]]*\]|[^:]*):(.*)$/.exec(hostPort)?.[1];
  if (port !== undefined && !/^\d{1,5}$/.test(port)) return 'its port is not a number';
  if (port !== undefined && Number(port) > 65535) return 'its port is above 65535';
  return 'its host name has characters a host name cannot have';
}
