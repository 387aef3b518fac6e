// Command-line parsing with node:util parseArgs: one option table, values checked and converted here so the
// commands get typed input and every mistake is a UsageError that says what to write instead.
import * as path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { JobPriority } from '../core/jobs/model';
import { specFromArgs, type ClientCertificateArgs } from './client-certificate';
import { defaultStoreDir } from './paths';
import { UsageError } from './usage';

const options = {
  dest: { type: 'string' },
  store: { type: 'string' },
  sha256: { type: 'string', multiple: true },
  header: { type: 'string', multiple: true },
  priority: { type: 'string' },
  'security-flags': { type: 'string' },
  'retry-delay': { type: 'string' },
  'no-progress-timeout': { type: 'string' },
  validator: { type: 'string' },
  overwrite: { type: 'boolean' },
  connections: { type: 'string' },
  'client-cert': { type: 'string' },
  'client-key': { type: 'string' },
  'client-pfx': { type: 'string' },
  'client-cert-passphrase-env': { type: 'string' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

export interface CommonArgs {
  store: string;
  json: boolean;
  verbose: boolean;
  /** --validator FILE.ts for the jobs that need one (get, run, resume). */
  validator?: string;
  /** --client-cert-passphrase-env NAME: the variable holding a client certificate's passphrase (get, run, resume). */
  clientCertPassphraseEnv?: string;
}

export interface GetArgs extends CommonArgs {
  urls: string[];
  dest: string;
  sha256: string[];
  headers: Record<string, string>;
  priority: JobPriority;
  securityFlags: number;
  retryDelaySeconds: number;
  noProgressTimeoutSeconds: number;
  overwrite: boolean;
  validator?: string;
  /** --connections N: the most Range connections per large file (1: never segmented); undefined: the engine's default. */
  connections?: number;
  /** --client-cert/--client-key (PEM) or --client-pfx (PKCS#12), as absolute paths. */
  clientCertificate: ClientCertificateArgs;
}

export type Command =
  | { name: 'help' }
  | ({ name: 'get' } & GetArgs)
  | ({ name: 'run' } & CommonArgs)
  | ({ name: 'list' } & CommonArgs)
  | ({ name: 'rejections' } & CommonArgs)
  | ({ name: 'check-cert'; url: string; securityFlags: number } & CommonArgs)
  | ({ name: 'info' | 'resume' | 'cancel'; job: string } & CommonArgs);

/** What each command accepts besides the common options. */
const allowed: Record<string, readonly string[]> = {
  get: ['dest', 'sha256', 'header', 'priority', 'security-flags', 'retry-delay', 'no-progress-timeout', 'validator', 'overwrite', 'connections', 'client-cert', 'client-key', 'client-pfx', 'client-cert-passphrase-env'],
  run: ['validator', 'client-cert-passphrase-env'],
  list: [],
  info: [],
  resume: ['validator', 'client-cert-passphrase-env'],
  cancel: [],
  rejections: [],
  'check-cert': ['validator', 'security-flags'],
};

export function parseCommand(argv: readonly string[], cwd = process.cwd()): Command {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, '.'));
  }
  const { values, positionals } = parsed;
  const [name, ...rest] = positionals;
  if (values.help || name === undefined || name === 'help') return { name: 'help' };
  if (!(name in allowed)) throw new UsageError(`Unknown command "${name}". Commands: get, run, list, info, resume, cancel, rejections, check-cert.`);
  for (const key of Object.keys(values)) {
    if (!['store', 'json', 'verbose', 'help', ...allowed[name]].includes(key)) throw new UsageError(`The option --${key} does not apply to "${name}".`);
  }
  const common: CommonArgs = {
    store: path.resolve(cwd, values.store ?? defaultStoreDir()),
    json: values.json ?? false,
    verbose: values.verbose ?? false,
    ...(values.validator !== undefined ? { validator: values.validator } : {}),
    ...(values['client-cert-passphrase-env'] !== undefined ? { clientCertPassphraseEnv: values['client-cert-passphrase-env'] } : {}),
  };
  switch (name) {
    case 'get': {
      if (rest.length === 0) throw new UsageError('get needs at least one URL: managed-downloads get URL... --dest DIR');
      const sha256 = values.sha256 ?? [];
      if (sha256.length > 0 && sha256.length !== rest.length) {
        throw new UsageError(`Give one --sha256 per URL, in the same order (${rest.length} URL(s), ${sha256.length} digest(s)).`);
      }
      return {
        name,
        ...common,
        urls: rest,
        dest: path.resolve(cwd, values.dest ?? '.'),
        sha256,
        headers: parseHeaders(values.header ?? []),
        priority: parsePriority(values.priority ?? 'normal'),
        securityFlags: parseInteger('--security-flags', values['security-flags'] ?? '0'),
        retryDelaySeconds: parseSeconds('--retry-delay', values['retry-delay'] ?? '5'),
        noProgressTimeoutSeconds: parseSeconds('--no-progress-timeout', values['no-progress-timeout'] ?? '600'),
        overwrite: values.overwrite ?? false,
        validator: values.validator,
        ...(values.connections !== undefined ? { connections: parseConnections(values.connections) } : {}),
        clientCertificate: clientCertificateArgs(values, cwd),
      };
    }
    case 'check-cert':
      if (rest.length !== 1) throw new UsageError('check-cert needs exactly one https URL: managed-downloads check-cert URL [--validator FILE.ts] [--security-flags N] [--json]');
      return { name, ...common, url: rest[0], securityFlags: parseInteger('--security-flags', values['security-flags'] ?? '0') };
    case 'run':
    case 'list':
    case 'rejections':
      if (rest.length > 0) throw new UsageError(`"${name}" takes no arguments (got ${rest.join(' ')}).`);
      return { name, ...common };
    default:
      if (rest.length !== 1) throw new UsageError(`"${name}" needs exactly one job id (or a unique prefix of one).`);
      return { name: name as 'info' | 'resume' | 'cancel', job: rest[0], ...common };
  }
}

function clientCertificateArgs(values: { 'client-cert'?: string; 'client-key'?: string; 'client-pfx'?: string }, cwd: string): ClientCertificateArgs {
  const file = (v: string | undefined) => (v === undefined ? undefined : path.resolve(cwd, v));
  const args = { certFile: file(values['client-cert']), keyFile: file(values['client-key']), pfxFile: file(values['client-pfx']) };
  specFromArgs(args); // a wrong combination is a usage error now
  return Object.fromEntries(Object.entries(args).filter(([, v]) => v !== undefined));
}

function parsePriority(value: string): JobPriority {
  const key = value.toUpperCase() as keyof typeof JobPriority;
  if (!(key in JobPriority) || !Number.isNaN(Number(value))) throw new UsageError(`Unknown priority "${value}": use foreground, high, normal or low.`);
  return JobPriority[key];
}

function parseInteger(option: string, value: string): number {
  const n = /^0x[0-9a-f]+$/i.test(value) ? parseInt(value, 16) : /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw new UsageError(`${option} needs a whole number, decimal or 0x-hexadecimal (got "${value}").`);
  return n;
}

/** The engine's own bound (core/jobs/transfer-settings.ts). */
const MAX_CONNECTIONS = 64;

function parseConnections(value: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_CONNECTIONS) {
    throw new UsageError(`--connections needs a whole number from 1 to ${MAX_CONNECTIONS} (got "${value}"); 1 fetches every file over one connection.`);
  }
  return n;
}

function parseSeconds(option: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`${option} needs a number of seconds, 0 or more (got "${value}").`);
  return n;
}

function parseHeaders(lines: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, Math.max(0, colon)).trim();
    // The value is often a credential: a mistake is described without repeating it (see redactedHeader).
    if (colon < 0) throw new UsageError(`--header ${redactedHeader(line)} has no colon: write it as "Name: value", e.g. --header 'Authorization: Bearer ...'.`);
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new UsageError(`--header ${redactedHeader(line)} has no valid header name before its colon: write it as "Name: value".`);
    headers[name] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** A --header value for a message: its leading word when it looks like a header name, else its first 3 characters; the rest as ***. */
function redactedHeader(line: string): string {
  const word = /^\s*([!#$%&'*+.^_`|~0-9A-Za-z-]{1,64})[\s:]/.exec(line)?.[1];
  return `"${word ?? line.trim().slice(0, 3).replace(/[^\x20-\x7e]/g, '?')} ***" (${line.length} characters)`;
}
