// Command-line parsing with node:util parseArgs: one option table, values checked and converted here so the
// commands get typed input and every mistake is a UsageError that says what to write instead.
import * as path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { JobPriority, SecurityFlags } from '../core/model/job';
import { specFromArgs, type ClientCertificateArgs } from './client-certificate';
import { defaultStoreDir } from './paths';
import { UsageError } from './usage';

/** Every option the CLI accepts (test/unit/cli/help.test.ts checks that --help lists each one, and no other). */
export const OPTIONS = {
  dest: { type: 'string' },
  output: { type: 'string', short: 'o' },
  'input-file': { type: 'string', short: 'i' },
  store: { type: 'string' },
  sha256: { type: 'string', multiple: true },
  header: { type: 'string', multiple: true },
  'no-headers': { type: 'boolean' },
  name: { type: 'string' },
  description: { type: 'string' },
  priority: { type: 'string' },
  'security-flags': { type: 'string' },
  'redirect-policy': { type: 'string' },
  'retry-delay': { type: 'string' },
  'no-progress-timeout': { type: 'string' },
  'auto-complete': { type: 'boolean' },
  validator: { type: 'string' },
  'ca-file': { type: 'string', multiple: true },
  'limit-rate': { type: 'string' },
  overwrite: { type: 'boolean' },
  connections: { type: 'string' },
  'client-cert': { type: 'string' },
  'client-key': { type: 'string' },
  'client-pfx': { type: 'string' },
  'client-cert-passphrase-env': { type: 'string' },
  'no-client-cert': { type: 'boolean' },
  'without-secret-headers': { type: 'boolean' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

export type OptionName = keyof typeof OPTIONS;

export interface CommonArgs {
  store: string;
  json: boolean;
  verbose: boolean;
  /** --validator FILE.ts for the jobs that need one (get, run, resume). */
  validator?: string;
  /** --client-cert-passphrase-env NAME: the variable holding a client certificate's passphrase (get, run, resume, set). */
  clientCertPassphraseEnv?: string;
  /** --ca-file FILE...: extra CAs phase 1 trusts in this process (as the setting managedDownloads.extraCaFiles), absolute. */
  caFiles: string[];
  /** --limit-rate: the total download rate of this process, bytes per second. */
  limitRate?: number;
  /** --without-secret-headers: run jobs even when this process lacks the values of some of their write-only headers. */
  withoutSecretHeaders: boolean;
}

/** The job's settings as given on the command line; absent: not given (create and get apply their defaults). */
export interface JobOptionArgs {
  name?: string;
  description?: string;
  priority?: JobPriority;
  securityFlags?: number;
  /** --redirect-policy as its security-flag bits (0x0, 0x100, 0x200). */
  redirectPolicy?: number;
  retryDelaySeconds?: number;
  noProgressTimeoutSeconds?: number;
  headers?: Record<string, string>;
  noHeaders: boolean;
  autoComplete?: boolean;
  /** --client-cert/--client-key (PEM) or --client-pfx (PKCS#12), as absolute paths. */
  clientCertificate: ClientCertificateArgs;
  noClientCertificate: boolean;
}

/** `set --sha256 [N=]HEX|none`: file N's (as `info` numbers them; absent: the job's only file) new checksum, null to drop it. */
export interface FileSha256Arg {
  fileIndex?: number;
  sha256: string | null;
}

/** Where the files of get and add come from and go to. */
export interface FileArgs {
  urls: string[];
  /** -i FILE (or - for stdin): more URLs, one a line. */
  inputFile?: string;
  dest: string;
  /** -o NAME: the output name of the only URL, in --dest. */
  output?: string;
  sha256: string[];
  overwrite: boolean;
}

export interface GetArgs extends CommonArgs, FileArgs {
  job: JobOptionArgs;
  /** --connections N: the most Range connections per large file (1: never segmented); undefined: the engine's default. */
  connections?: number;
}

export type JobVerb = 'info' | 'cancel' | 'suspend' | 'complete';

export type Command =
  | { name: 'help' }
  | ({ name: 'get' } & GetArgs)
  | ({ name: 'create' } & CommonArgs & { job: JobOptionArgs })
  | ({ name: 'add'; jobId: string } & CommonArgs & FileArgs)
  | ({ name: 'set'; jobId: string } & CommonArgs & { job: JobOptionArgs; fileSha256: FileSha256Arg[] })
  | ({ name: 'resume'; jobIds: string[] } & CommonArgs)
  | ({ name: 'run' } & CommonArgs)
  | ({ name: 'list' } & CommonArgs)
  | ({ name: 'watch'; jobIds: string[] } & CommonArgs)
  | ({ name: 'rejections' } & CommonArgs)
  | ({ name: 'check-cert'; url: string; securityFlags: number } & CommonArgs)
  | ({ name: JobVerb; jobId: string } & CommonArgs);

const FILE_OPTIONS: OptionName[] = ['dest', 'output', 'input-file', 'sha256', 'overwrite'];
const JOB_OPTIONS: OptionName[] = [
  'priority',
  'security-flags',
  'redirect-policy',
  'retry-delay',
  'no-progress-timeout',
  'header',
  'client-cert',
  'client-key',
  'client-pfx',
  'client-cert-passphrase-env',
];
const RUN_OPTIONS: OptionName[] = ['validator', 'ca-file', 'limit-rate', 'client-cert-passphrase-env', 'without-secret-headers'];

/** What each command accepts besides the common options (--store, --json, --verbose, --help). */
export const COMMAND_OPTIONS: Record<string, readonly OptionName[]> = {
  get: [...FILE_OPTIONS, ...JOB_OPTIONS, 'validator', 'ca-file', 'limit-rate', 'connections'],
  create: [...JOB_OPTIONS, 'name', 'description', 'auto-complete'],
  add: FILE_OPTIONS,
  set: [...JOB_OPTIONS, 'name', 'description', 'no-headers', 'no-client-cert', 'sha256'],
  resume: RUN_OPTIONS,
  run: RUN_OPTIONS,
  suspend: [],
  cancel: [],
  complete: [],
  list: [],
  info: [],
  watch: [],
  rejections: [],
  'check-cert': ['validator', 'security-flags', 'ca-file'],
};

export const COMMON_OPTIONS: OptionName[] = ['store', 'json', 'verbose', 'help'];

/** One `set --sha256` value: HEX or none for a job of one file, N=HEX or N=none for its file N (from 0). */
export function parseFileSha256(value: string): FileSha256Arg {
  const match = /^(?:(\d+)=)?([^=]*)$/.exec(value.trim());
  if (!match)
    throw new UsageError(
      `--sha256 takes HEX (a job of one file) or N=HEX (file N as 'info' numbers them, from 0), or none / N=none to drop the check (got "${value}").`,
    );
  const [, index, digest] = match;
  let sha256: string | null;
  if (digest.toLowerCase() === 'none') sha256 = null;
  else if (/^[0-9a-fA-F]{64}$/.test(digest)) sha256 = digest.toLowerCase();
  else throw new UsageError(`--sha256 needs 64 hex digits (a sha256), or none to drop the check (got "${digest}").`);
  return { ...(index !== undefined ? { fileIndex: Number(index) } : {}), sha256 };
}

export function parseCommand(argv: readonly string[], cwd = process.cwd()): Command {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, '.'));
  }
  const { values, positionals } = parsed;
  const [name, ...rest] = positionals;
  if (values.help || name === undefined || name === 'help') return { name: 'help' };
  if (!(name in COMMAND_OPTIONS)) throw new UsageError(`Unknown command "${name}". Commands: ${Object.keys(COMMAND_OPTIONS).join(', ')}.`);
  for (const key of Object.keys(values) as OptionName[]) {
    if (!COMMON_OPTIONS.includes(key) && !COMMAND_OPTIONS[name].includes(key))
      throw new UsageError(`The option --${key} does not apply to "${name}".`);
  }
  const common: CommonArgs = {
    store: path.resolve(cwd, values.store ?? defaultStoreDir()),
    json: values.json ?? false,
    verbose: values.verbose ?? false,
    caFiles: (values['ca-file'] ?? []).map((f) => path.resolve(cwd, f)),
    withoutSecretHeaders: values['without-secret-headers'] ?? false,
    ...(values.validator !== undefined ? { validator: values.validator } : {}),
    ...(values['client-cert-passphrase-env'] !== undefined ? { clientCertPassphraseEnv: values['client-cert-passphrase-env'] } : {}),
    ...(values['limit-rate'] !== undefined ? { limitRate: parseRate(values['limit-rate']) } : {}),
  };
  const files = (): FileArgs => {
    const sha256 = values.sha256 ?? [];
    if (values.output !== undefined && (rest.length !== 1 || values['input-file'] !== undefined)) {
      throw new UsageError('-o NAME names the file of one URL; for several, use --dest DIR (each file keeps the name from its URL).');
    }
    return {
      urls: rest,
      dest: path.resolve(cwd, values.dest ?? '.'),
      sha256,
      overwrite: values.overwrite ?? false,
      ...(values['input-file'] !== undefined ? { inputFile: values['input-file'] } : {}),
      ...(values.output !== undefined ? { output: values.output } : {}),
    };
  };
  const job = (): JobOptionArgs => ({
    name: values.name,
    description: values.description,
    priority: values.priority === undefined ? undefined : parsePriority(values.priority),
    securityFlags: values['security-flags'] === undefined ? undefined : parseInteger('--security-flags', values['security-flags']),
    redirectPolicy: values['redirect-policy'] === undefined ? undefined : parseRedirectPolicy(values['redirect-policy']),
    retryDelaySeconds: values['retry-delay'] === undefined ? undefined : parseSeconds('--retry-delay', values['retry-delay']),
    noProgressTimeoutSeconds:
      values['no-progress-timeout'] === undefined ? undefined : parseSeconds('--no-progress-timeout', values['no-progress-timeout']),
    headers: values.header === undefined ? undefined : parseHeaders(values.header),
    noHeaders: values['no-headers'] ?? false,
    autoComplete: values['auto-complete'],
    clientCertificate: clientCertificateArgs(values, cwd),
    noClientCertificate: values['no-client-cert'] ?? false,
  });
  const oneJob = (usage: string): string => {
    if (rest.length < 1) throw new UsageError(`"${name}" needs a job id (or a unique prefix of one): managed-downloads ${usage}`);
    return rest[0];
  };
  switch (name) {
    case 'get': {
      if (rest.length === 0 && values['input-file'] === undefined)
        throw new UsageError('get needs at least one URL: managed-downloads get URL... --dest DIR (or -i FILE, one URL a line)');
      return {
        name,
        ...common,
        ...files(),
        job: job(),
        ...(values.connections !== undefined ? { connections: parseConnections(values.connections) } : {}),
      };
    }
    case 'create':
      if (rest.length > 0)
        throw new UsageError(`"create" takes no URLs (got ${rest.join(' ')}): create the job, then 'managed-downloads add JOB URL...'.`);
      return { name, ...common, job: job() };
    case 'add': {
      const jobId = oneJob('add JOB URL... [--dest DIR]');
      rest.shift();
      if (rest.length === 0 && values['input-file'] === undefined)
        throw new UsageError('add needs at least one URL after the job: managed-downloads add JOB URL... [--dest DIR] (or -i FILE)');
      return { name, ...common, jobId, ...files() };
    }
    case 'set': {
      const jobId = oneJob('set JOB [--priority P] [--description TEXT] ...');
      if (rest.length > 1) throw new UsageError(`"set" takes one job; the settings are options (got ${rest.slice(1).join(' ')}).`);
      const settings = job();
      if (values.header !== undefined && settings.noHeaders)
        throw new UsageError("Give either --header (the job's new headers) or --no-headers (none), not both.");
      if (specFromArgs(settings.clientCertificate) && settings.noClientCertificate)
        throw new UsageError('Give either a client certificate or --no-client-cert, not both.');
      if (!Object.keys(values).some((k) => COMMAND_OPTIONS.set.includes(k as OptionName) && k !== 'client-cert-passphrase-env')) {
        throw new UsageError('"set" needs at least one setting to change, e.g. managed-downloads set JOB --priority high.');
      }
      return { name, ...common, jobId, job: settings, fileSha256: (values.sha256 ?? []).map(parseFileSha256) };
    }
    case 'check-cert':
      if (rest.length !== 1)
        throw new UsageError(
          'check-cert needs exactly one https URL: managed-downloads check-cert URL [--validator FILE.ts] [--security-flags N] [--ca-file FILE] [--json]',
        );
      return { name, ...common, url: rest[0], securityFlags: parseInteger('--security-flags', values['security-flags'] ?? '0') };
    case 'watch':
      return { name, ...common, jobIds: rest };
    case 'resume':
      if (rest.length === 0)
        throw new UsageError('"resume" needs a job id (or a unique prefix of one), or several: managed-downloads resume JOB...');
      return { name, ...common, jobIds: rest };
    case 'run':
    case 'list':
    case 'rejections':
      if (rest.length > 0) throw new UsageError(`"${name}" takes no arguments (got ${rest.join(' ')}).`);
      return { name, ...common };
    default:
      if (rest.length !== 1) throw new UsageError(`"${name}" needs exactly one job id (or a unique prefix of one).`);
      return { name: name as JobVerb, jobId: rest[0], ...common };
  }
}

function clientCertificateArgs(
  values: { 'client-cert'?: string; 'client-key'?: string; 'client-pfx'?: string },
  cwd: string,
): ClientCertificateArgs {
  const file = (v: string | undefined) => (v === undefined ? undefined : path.resolve(cwd, v));
  const args = { certFile: file(values['client-cert']), keyFile: file(values['client-key']), pfxFile: file(values['client-pfx']) };
  specFromArgs(args); // a wrong combination is a usage error now
  return Object.fromEntries(Object.entries(args).filter(([, v]) => v !== undefined));
}

function parsePriority(value: string): JobPriority {
  const key = value.toUpperCase() as keyof typeof JobPriority;
  if (!(key in JobPriority) || !Number.isNaN(Number(value)))
    throw new UsageError(`Unknown priority "${value}": use foreground, high, normal or low.`);
  return JobPriority[key];
}

const REDIRECT_POLICIES: Record<string, number> = {
  allow: SecurityFlags.REDIRECT_POLICY_ALLOW_SILENT,
  report: SecurityFlags.REDIRECT_POLICY_ALLOW_REPORT,
  disallow: SecurityFlags.REDIRECT_POLICY_DISALLOW,
};

function parseRedirectPolicy(value: string): number {
  const bits = REDIRECT_POLICIES[value.toLowerCase()];
  if (bits === undefined)
    throw new UsageError(
      `Unknown redirect policy "${value}": use allow (follow silently), report (follow and record the final URL) or disallow (a redirect is an error).`,
    );
  return bits;
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
    throw new UsageError(
      `--connections needs a whole number from 1 to ${MAX_CONNECTIONS} (got "${value}"); 1 fetches every file over one connection.`,
    );
  }
  return n;
}

function parseSeconds(option: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new UsageError(`${option} needs a number of seconds, 0 or more (got "${value}").`);
  return n;
}

const RATE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** curl's --limit-rate: bytes per second, with an optional K, M, G or T suffix (1024-based), e.g. 100K, 1.5M, 2G. */
export function parseRate(value: string): number {
  const match = /^(\d+(?:\.\d+)?)([kmgt]?)(?:b?(?:\/s)?)$/i.exec(value.trim());
  const bytes = match ? Math.floor(Number(match[1]) * RATE_UNITS[match[2].toLowerCase()]) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 1) {
    throw new UsageError(
      `--limit-rate needs a rate in bytes per second, at least 1, with an optional K, M, G or T suffix as curl takes it: 100K, 1M, 2G (got "${value}"). Leave it out for no limit.`,
    );
  }
  return bytes;
}

function parseHeaders(lines: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, Math.max(0, colon)).trim();
    // The value is often a credential: a mistake is described without repeating it (see redactedHeader).
    if (colon < 0)
      throw new UsageError(
        `--header ${redactedHeader(line)} has no colon: write it as "Name: value", e.g. --header 'Authorization: Bearer ...'.`,
      );
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name))
      throw new UsageError(`--header ${redactedHeader(line)} has no valid header name before its colon: write it as "Name: value".`);
    headers[name] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** A --header value for a message: its leading word when it looks like a header name, else its first 3 characters; the rest as ***. */
function redactedHeader(line: string): string {
  const word = /^\s*([!#$%&'*+.^_`|~0-9A-Za-z-]{1,64})[\s:]/.exec(line)?.[1];
  return `"${
    word ??
    line
      .trim()
      .slice(0, 3)
      .replace(/[^\x20-\x7e]/g, '?')
  } ***" (${line.length} characters)`;
}
