// "Test Certificate Validator on URL..." and `managed-downloads check-cert`: connect to a URL, finish the
// TLS handshake, run both phases exactly as a job's connection would, and close. No HTTP request is ever
// written: the report is all there is. The validator file is compiled fresh into its own worker, so the
// dry run neither disturbs the loaded validator nor needs it to be loaded.
import { performance } from 'node:perf_hooks';
import * as net from 'node:net';
import { BitsError, Codes, ErrorContext, formatCode, formatError } from '../../core/errors';
import { JobPriority, JobState, type JobSnapshot } from '../../core/model/job';
import { describeProxy, resolveProxy, type ProxySettings } from '../../core/net/proxy-settings';
import { tlsHandshake } from '../../core/net/tls-handshake';
import { openTunnel } from '../../core/net/tunnel';
import { describeCertificate } from '../../core/tls/certificate-view';
import { verifyPhase1, type Phase1Failure } from '../../core/tls/phase1';
import { platformVerdict, type PlatformVerdict } from '../../core/tls/platform-verdict';
import { RevocationChecker } from '../../core/tls/revocation';
import { peerChain } from '../../core/tls/service';
import type { TrustStore } from '../../core/tls/trust-store';
import { buildValidationInput } from '../../core/tls/validation-input';
import type { Phase1Check } from '../managed-downloads-validator';
import { compileValidator, formatDiagnostic, ValidatorCompileError } from '../compiler';
import { ValidatorLoadError, WorkerValidator, type LogLevel } from '../worker-validator';
import { describeCode, securityFlagNames } from './codes';

export interface DryRunOptions {
  url: string;
  /** The job's BITS security flags phase 1 is relaxed by (default 0). */
  securityFlags?: number;
  /** Phase 1's roots (the same trust store the jobs use). */
  trust: TrustStore;
  revocation?: RevocationChecker;
  proxy?: ProxySettings;
  /** The validator file to test (absolute); none: phase 1 only. */
  validatorFile?: string;
  /** Why the validator file must not run (an untrusted workspace); it is then not compiled either. */
  validatorBlocked?: string;
  timeLimitMs?: number;
  connectTimeoutMs?: number;
  memoryLimitMb?: number;
  /**
   * The address to connect to for a host name, instead of DNS (curl's --resolve): the host name still
   * goes into SNI, phase 1's name check and the validator's input.
   */
  resolveHost?: (host: string) => string;
  /** Also receives the validator's log lines (they are in the report either way). */
  log?: (level: LogLevel, message: string) => void;
}

export interface DryRunCertificate {
  subject: string;
  issuer: string;
  validFrom: string;
  validTo: string;
  subjectAltNames: string[];
  /** sha256 of the DER, hex. */
  sha256: string;
  /** `sha256/<base64>` of the SubjectPublicKeyInfo: what a pin set lists. */
  spkiPin: string;
  isCA: boolean;
}

export interface DryRunCheck {
  check: Phase1Failure['check'];
  code: string;
  codeName: string;
  reason: string;
}

export type DryRunValidator =
  | { status: 'none' }
  | { status: 'blocked'; file: string; reason: string }
  | { status: 'not-called'; file: string; reason: string }
  | { status: 'compile-error'; file: string; problems: string[] }
  | { status: 'load-error'; file: string; message: string }
  | {
      status: 'ran';
      file: string;
      verdict: 'accept' | 'decline' | 'unavailable';
      code: string;
      codeName: string;
      reason: string;
      timeMs: number;
      loadMs: number;
    };

export interface DryRunReport {
  url: string;
  host: string;
  port: number;
  securityFlags: string;
  securityFlagNames: string[];
  /** The proxy the connection went through (a CONNECT tunnel), credentials hidden. */
  proxy?: string;
  protocol: string | null;
  cipher: string | null;
  connectMs: number;
  /** As the server sent it, leaf first (Node appends the root when its own store has it). */
  chain: DryRunCertificate[];
  phase1: { passed: boolean; code?: string; codeName?: string; reason?: string; failures: DryRunCheck[]; relaxed: DryRunCheck[] };
  validator: DryRunValidator;
  validatorLog: { level: LogLevel; message: string }[];
  /** Whether a job with these flags and this validator would accept the certificate. */
  accepted: boolean;
  /** One sentence. */
  verdict: string;
  /** Always 0: the dry run writes no HTTP request. */
  requestBytesSent: 0;
  checkedAt: string;
}

function check(f: Phase1Failure): DryRunCheck {
  return { check: f.check, code: formatCode(f.code), codeName: describeCode(f.code), reason: f.reason };
}

function parseTarget(url: string): URL {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new BitsError(Codes.E_INVALIDARG, `"${url}" is not a URL; give one like https://downloads.example.com/file.zip.`);
  }
  if (target.protocol !== 'https:') {
    throw new BitsError(
      Codes.BG_E_PROTOCOL_NOT_AVAILABLE,
      `${url} is not an https URL: only HTTPS servers present a certificate to check.`,
    );
  }
  return target;
}

function lookupWith(resolveHost: (host: string) => string): net.LookupFunction {
  return (hostname, options, callback) => {
    const address = resolveHost(hostname);
    const family = net.isIP(address) || 4;
    // Node asks for every address (all: true) when it may race IPv4 and IPv6.
    if ((options as { all?: boolean }).all)
      (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address, family }]);
    else callback(null, address, family);
  };
}

function dryRunJob(url: string, securityFlags: number): JobSnapshot {
  const now = new Date().toISOString();
  return {
    id: 'dry-run',
    displayName: 'Test Certificate Validator',
    description: `dry run for ${url}`,
    priority: JobPriority.FOREGROUND,
    owner: 'dry-run',
    state: JobState.CONNECTING,
    files: [{ remoteUrl: url, localPath: '', tempPath: '', bytesTotal: null, bytesTransferred: 0, transferred: false }],
    times: { created: now, modified: now },
    minimumRetryDelay: 5,
    noProgressTimeout: 0,
    securityFlags,
    customHeaders: {},
    validator: 'workspace',
  };
}

export async function dryRun(options: DryRunOptions): Promise<DryRunReport> {
  const target = parseTarget(options.url);
  const host = target.hostname.replace(/^\[|\]$/g, '');
  const port = Number(target.port || 443);
  const flags = options.securityFlags ?? 0;
  const timeoutMs = options.connectTimeoutMs ?? 30_000;
  const proxy = resolveProxy(new URL(`https://${target.host}/`), options.proxy);
  const started = performance.now();
  const tunnel = proxy ? await openTunnel(proxy, host, port, timeoutMs) : undefined;
  const socket = await tlsHandshake({
    host,
    port,
    socket: tunnel,
    trust: options.trust,
    timeoutMs,
    lookup: options.resolveHost && lookupWith(options.resolveHost),
  }).catch((e: unknown) => {
    throw e instanceof BitsError
      ? e
      : new BitsError(
          Codes.BG_E_CONNECT_FAILURE,
          `Could not make a TLS connection to ${host}:${port}: ${formatError(e, 'line')}.`,
          ErrorContext.GENERAL_TRANSPORT,
          { cause: e },
        );
  });
  const connectMs = performance.now() - started;
  let chain;
  let verdict: PlatformVerdict;
  const protocol = socket.getProtocol();
  const cipher = socket.getCipher()?.standardName ?? null;
  try {
    chain = peerChain(socket);
    verdict = platformVerdict(socket);
  } finally {
    // Nothing is ever written: the handshake told us everything.
    socket.destroy();
  }
  if (chain.length === 0)
    throw new BitsError(
      Codes.ERROR_WINHTTP_SECURE_FAILURE,
      `The server ${host}:${port} sent no certificate.`,
      ErrorContext.GENERAL_TRANSPORT,
    );
  const [leaf, ...sent] = chain;
  const phase1 = await verifyPhase1({
    leaf,
    sent,
    host,
    securityFlags: flags,
    trust: options.trust,
    revocation: options.revocation ?? new RevocationChecker(),
    platform: verdict,
  });
  const relaxed = phase1.ok ? phase1.relaxed : [];
  const validatorLog: DryRunReport['validatorLog'] = [];
  const log = (level: LogLevel, message: string) => {
    validatorLog.push({ level, message });
    options.log?.(level, message);
  };

  let validator: DryRunValidator = { status: 'none' };
  const file = options.validatorFile;
  if (file && options.validatorBlocked) validator = { status: 'blocked', file, reason: options.validatorBlocked };
  else if (file && !phase1.ok)
    validator = {
      status: 'not-called',
      file,
      reason: 'the certificate failed phase 1, and a certificate that fails phase 1 never reaches the validator',
    };
  else if (file) {
    const relaxedChecks: Phase1Check[] = relaxed.map((f) => f.check);
    const input = buildValidationInput(dryRunJob(options.url, flags), 0, host, port, chain, relaxedChecks);
    validator = await runValidator(file, input, options, log);
  }

  const p1 = phase1.ok
    ? { passed: true, failures: [], relaxed: relaxed.map(check) }
    : {
        passed: false,
        code: formatCode(phase1.code),
        codeName: describeCode(phase1.code),
        reason: phase1.reason,
        failures: phase1.failures.map(check),
        relaxed: [],
      };
  const accepted = phase1.ok && (validator.status === 'none' || (validator.status === 'ran' && validator.verdict === 'accept'));
  return {
    url: options.url,
    host,
    port,
    securityFlags: formatCode(flags),
    securityFlagNames: securityFlagNames(flags),
    ...(proxy ? { proxy: describeProxy(proxy.url) } : {}),
    protocol,
    cipher,
    connectMs,
    chain: chain.map((c) => {
      const v = describeCertificate(c);
      return {
        subject: v.subject,
        issuer: v.issuer,
        validFrom: v.validFrom,
        validTo: v.validTo,
        subjectAltNames: v.subjectAltNames,
        sha256: v.sha256,
        spkiPin: `sha256/${v.spkiSha256}`,
        isCA: v.isCA,
      };
    }),
    phase1: p1,
    validator,
    validatorLog,
    accepted,
    verdict: verdictSentence(p1.passed, validator),
    requestBytesSent: 0,
    checkedAt: new Date().toISOString(),
  };
}

async function runValidator(
  file: string,
  input: ReturnType<typeof buildValidationInput>,
  options: DryRunOptions,
  log: (level: LogLevel, message: string) => void,
): Promise<DryRunValidator> {
  const loadStarted = performance.now();
  let worker: WorkerValidator;
  try {
    worker = await WorkerValidator.start(await compileValidator(file), { memoryLimitMb: options.memoryLimitMb, log });
  } catch (e) {
    if (e instanceof ValidatorCompileError)
      return { status: 'compile-error', file, problems: e.missing ? [`${file} does not exist`] : e.diagnostics.map(formatDiagnostic) };
    if (e instanceof ValidatorLoadError) return { status: 'load-error', file, message: e.message };
    throw e;
  }
  const loadMs = performance.now() - loadStarted;
  try {
    const callStarted = performance.now();
    const outcome = await worker.validate(input, options.timeLimitMs ?? 5000);
    const timeMs = performance.now() - callStarted;
    if (outcome.kind === 'accept')
      return { status: 'ran', file, verdict: 'accept', code: formatCode(0), codeName: 'S_OK', reason: '', timeMs, loadMs };
    if (outcome.kind === 'decline')
      return {
        status: 'ran',
        file,
        verdict: 'decline',
        code: formatCode(outcome.code),
        codeName: describeCode(outcome.code),
        reason: outcome.reason,
        timeMs,
        loadMs,
      };
    const code = Codes.BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED;
    return {
      status: 'ran',
      file,
      verdict: 'unavailable',
      code: formatCode(code),
      codeName: describeCode(code),
      reason: outcome.reason,
      timeMs,
      loadMs,
    };
  } finally {
    await worker.dispose();
  }
}

function verdictSentence(phase1Passed: boolean, v: DryRunValidator): string {
  if (!phase1Passed) return 'Refused by phase 1 (the platform check); the validator was not called.';
  switch (v.status) {
    case 'none':
      return 'Accepted by phase 1; no validator was given, so a job without one would accept it.';
    case 'blocked':
      return `Phase 1 passed; the validator was not run: ${v.reason}. A job that needs it would get BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED.`;
    case 'compile-error':
      return 'Phase 1 passed; the validator does not compile, so a job that needs it would get BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED.';
    case 'load-error':
      return 'Phase 1 passed; the validator does not load, so a job that needs it would get BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED.';
    case 'not-called':
      return 'Refused by phase 1; the validator was not called.';
    case 'ran':
      if (v.verdict === 'accept') return 'Accepted by both phases: a job would download from this server.';
      if (v.verdict === 'decline')
        return 'Declined by the validator: a job would wait in TRANSIENT_ERROR (context SERVER_CERTIFICATE_CALLBACK) and retry later.';
      return 'The validator gave no answer: a job would get BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED.';
  }
}

/** The proxy a dry run would use, for messages before it runs. */
export function proxyFor(url: string, settings?: ProxySettings): string | undefined {
  const proxy = resolveProxy(parseTarget(url), settings);
  return proxy ? describeProxy(proxy.url) : undefined;
}
