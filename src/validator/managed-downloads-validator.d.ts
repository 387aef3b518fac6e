// The certificate validator's contract, and the helper module a validator imports as
// `managed-downloads/validator`. This one file is the source of truth for both the product's code and
// validator authors (it is shipped as the module's declarations).
//
// A validator file:
//
//   import { certificatePolicy, pinSet, privateCa } from 'managed-downloads/validator';
//   export default certificatePolicy({
//     rules: [
//       privateCa({ hosts: ['*.corp.example'], roots: [CORP_CA_PEM] }),
//       pinSet({ hosts: ['downloads.example.com'], pins: ['sha256/...'], backupPins: ['sha256/...'], expires: '2026-12-31' }),
//     ],
//   });
//
// or any function of its own:
//
//   import { verifyChain, S_OK, type ValidationInput } from 'managed-downloads/validator';
//   export default function validate(input: ValidationInput) {
//     return input.endpoint.host.endsWith('.corp.example') ? verifyChain(input, { roots: [CORP_CA] }).code : S_OK;
//   }
//
// It runs only after phase 1 (the platform check) accepted the certificate. Return 0 (S_OK) to accept;
// any other HRESULT, `{ code, reason }`, or a thrown error declines (the job goes to TRANSIENT_ERROR with
// context SERVER_CERTIFICATE_CALLBACK and your code).
//
// Where it runs (docs/validator-sandbox.md has the details, as tested):
// - In a process of its own, started with an EMPTY environment (`process.env` is {}) under Node's
//   permission model. It can read and write files in its own folder (the folder of this file, and below),
//   open network connections, and use Node's built-ins that need no permission (crypto, timers...).
// - It cannot read any other file (not /proc/self/environ, not the host's /proc/<pid>/environ, not your
//   home), start child processes or worker threads, load native addons, or send signals
//   (process.kill throws): the extension host is out of its reach. process.exit ends only its own process.
// - Its load (the top-level code) and each call have the time limit of the setting
//   managedDownloads.validatorTimeLimit (5 s by default); its heap 128 MiB, and the whole process,
//   Buffers included, 256 MiB. Past any limit it is stopped and the job gets
//   BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED.
// - A decline reason is cut to 1,024 characters, a log line to 4,096 (at most 100 lines per 10 s).

/** An HRESULT: 0 (S_OK) accepts; any other value declines. Unsigned or signed 32-bit both work. */
export type HRESULT = number;

/** A certificate, parsed. */
export interface CertificateView {
  /** The DER bytes. */
  der: Uint8Array;
  /** "CN=example.com, O=Example" */
  subject: string;
  subjectCommonName?: string;
  issuer: string;
  issuerCommonName?: string;
  /** DNS names and IP addresses from subjectAltName. */
  subjectAltNames: string[];
  /** ISO 8601. */
  validFrom: string;
  validTo: string;
  /** Lower-case hex. */
  serialNumber: string;
  /** sha256 of the DER, lower-case hex: the certificate's fingerprint (and the cache key). */
  sha256: string;
  /** sha256 of the SubjectPublicKeyInfo, base64: a pin (`sha256/<this>` in OkHttp and curl). */
  spkiSha256: string;
  isCA: boolean;
}

/** The job, as IBackgroundCopyJob would describe it. */
export interface ValidatorJob {
  id: string;
  displayName: string;
  description: string;
  owner: string;
  /** 0 FOREGROUND, 1 HIGH, 2 NORMAL, 3 LOW. */
  priority: number;
  /** The job's BITS security flags (phase 1 was already relaxed by them). */
  securityFlags: number;
}

/** The file being transferred, as IBackgroundCopyFile would describe it. */
export interface ValidatorFile {
  index: number;
  remoteUrl: string;
  localPath: string;
}

export interface Endpoint {
  /** The origin host the job connects to (never a proxy's). */
  host: string;
  port: number;
}

/** What ValidateServerCertificate receives, plus parsed views. */
export interface ValidationInput {
  job: ValidatorJob;
  file: ValidatorFile;
  endpoint: Endpoint;
  /** The leaf certificate, DER (step 1 of the seed). */
  certData: Uint8Array;
  certLength: number;
  /** X509_ASN_ENCODING | PKCS_7_ASN_ENCODING (0x10001). */
  certEncodingType: number;
  /**
   * The chain the server sent (leaf first), as a PKCS#7 certificates-only SignedData, DER (steps 2-3); when the
   * server did not send the root and OpenSSL found it among the trusted roots, that root ends the chain.
   */
  certStoreData: Uint8Array;
  certStoreLength: number;
  /** The same chain, parsed, leaf first. */
  certStore: CertificateView[];
  /** The leaf, parsed (same as certStore[0]). */
  certificate: CertificateView;
  /**
   * Checks of phase 1 (the platform check) that failed but were relaxed by the job's security flags:
   * 'chain' (unknown CA, flag 0x8), 'date' (0x4), 'name' (0x2), 'usage' (0x10). Empty when the
   * certificate passed phase 1 outright. A private CA's chain arrives here with 'chain' in it.
   */
  phase1Relaxed: Phase1Check[];
}

/** A check of phase 1 that the job's security flags can relax. */
export type Phase1Check = 'chain' | 'date' | 'name' | 'usage';

/** 0 accepts; any other HRESULT, or `{ code, reason }` with a non-zero code, declines. */
export type ValidationResult = HRESULT | { code: HRESULT; reason?: string };

/** The default export of a validator file. */
export type Validator = (input: ValidationInput) => ValidationResult | Promise<ValidationResult>;

// ---- The helper module: the seed's steps 1-7 ----

export declare const S_OK: 0;
export declare const E_FAIL: 0x80004005;
export declare const X509_ASN_ENCODING: 0x1;
export declare const PKCS_7_ASN_ENCODING: 0x10000;

/** What CertVerifyCertificateChainPolicy reports (policyStatus.dwError as an HRESULT). */
export declare const CertErrors: {
  readonly CERT_E_EXPIRED: 0x800b0101;
  readonly CERT_E_UNTRUSTEDROOT: 0x800b0109;
  readonly CERT_E_CHAINING: 0x800b010a;
  readonly CERT_E_CN_NO_MATCH: 0x800b010f;
  readonly CERT_E_WRONG_USAGE: 0x800b0110;
  readonly TRUST_E_CERT_SIGNATURE: 0x80096004;
};

/** CERT_CHAIN_POLICY_* flags (wincrypt.h values), for verifyChain's policy. */
export declare const ChainPolicy: {
  readonly IGNORE_NOT_TIME_VALID: 0x1;
  readonly ALLOW_UNKNOWN_CA: 0x10;
  readonly IGNORE_WRONG_USAGE: 0x20;
  readonly IGNORE_INVALID_NAME: 0x40;
};

/** Step 1: the leaf (or any DER certificate), parsed. */
export declare function parseCertificate(der: Uint8Array): CertificateView;

/** Steps 2-3: the certificates in certStoreData, leaf first, DER. */
export declare function openStore(certStoreData: Uint8Array): Uint8Array[];

/** PEM text (one or many certificates) to DER. */
export declare function pemToDer(pem: string): Uint8Array[];

export interface ChainOptions {
  /** Trusted roots (PEM text, each may hold several, or DER bytes). The chain must end at one of them. */
  roots: ReadonlyArray<string | Uint8Array>;
  /** CERT_CHAIN_POLICY_* flags (ChainPolicy) that relax checks, as in step 5 of the seed. */
  policyFlags?: number;
  /** Host name to check; default: input.endpoint.host. Use ChainPolicy.IGNORE_INVALID_NAME to skip. */
  host?: string;
  /** Time to check validity at; default: now. */
  time?: Date;
}

export interface ChainVerdict {
  /** S_OK, or the first failing check's CERT_E_* code (step 7). */
  code: HRESULT;
  /** Empty when code is S_OK; otherwise what failed, readable. */
  reason: string;
  /** The path that was built, leaf first (ends at a root of `roots` when trusted). */
  chain: CertificateView[];
  trusted: boolean;
}

/** Steps 4-7: build the chain from the leaf through certStoreData to one of `roots`, apply the policy. */
export declare function verifyChain(
  input: Pick<ValidationInput, 'certData' | 'certStoreData'> & { endpoint?: Endpoint },
  options: ChainOptions,
): ChainVerdict;

/** `sha256/<base64 of sha256(SPKI)>` of a certificate. */
export declare function spkiPin(cert: CertificateView | Uint8Array): string;

/**
 * Accepts when any certificate the server sent has one of `pins` (`sha256/<base64>`, or bare base64);
 * otherwise declines with CERT_E_UNTRUSTEDROOT and a reason listing the pins seen and expected.
 */
export declare function checkPins(input: ValidationInput, pins: readonly string[]): ValidationResult;

/** `{ code, reason }` for a decline. The reason is cut to 1,024 characters ("... (truncated: N characters)"). */
export declare function decline(reason: string, code?: HRESULT): { code: HRESULT; reason: string };

// ---- Host patterns, pin sets, trust rules and policies ----

/**
 * Whether `host` matches `pattern`, with OkHttp's rules: `example.com` exactly; `*.example.com` one
 * label (a.example.com, not example.com, not a.b.example.com); `**.example.com` any number of labels,
 * none included (example.com, a.example.com, a.b.example.com). IP addresses match exactly.
 */
export declare function hostMatches(pattern: string, host: string): boolean;

/** What a rule says about a connection it applies to. */
export interface RuleOutcome {
  /** S_OK, or a decline. */
  result: ValidationResult;
  /**
   * True when the rule itself established trust in the chain (a private CA or an allowed inspection
   * root verified it), so it does not matter that phase 1 only passed because the job allows unknown CAs.
   */
  vouched: boolean;
}

/** One rule of a certificatePolicy: made by pinSet, privateCa or inspectionRoot. */
export interface CertificateRule {
  /** For messages and the log: `pin set for downloads.example.com`. */
  readonly name: string;
  /** The host patterns it covers, as written. */
  readonly hosts: readonly string[];
  /** Logs what it would decline and accepts instead. */
  readonly reportOnly: boolean;
  /** undefined when the rule does not apply to this connection (another host, an expired pin set). */
  evaluate(input: ValidationInput): RuleOutcome | undefined;
  /** The rule alone as a validator result: S_OK when it accepts or does not apply. */
  check(input: ValidationInput): ValidationResult;
}

/** An SPKI pin: `sha256/` and the base64 sha256 of a SubjectPublicKeyInfo (as OkHttp and curl write them). */
export type Pin = `sha256/${string}`;

export interface PinSetOptions {
  /** Host patterns (see hostMatches): `downloads.example.com`, `*.example.com`, `**.example.com`. */
  hosts: readonly string[];
  /** Pins of keys the server sends now (its own key, or its CA's). Any certificate of the chain may match. */
  pins: readonly [Pin, ...Pin[]];
  /**
   * Required: pins of keys held in reserve, not served yet, so that replacing the server's key does not
   * lock every client out (as Android's Network Security Config requires). A set without one does not load.
   */
  backupPins: readonly [Pin, ...Pin[]];
  /**
   * After this date the set stops applying (`'YYYY-MM-DD'` applies through that day, UTC), so a forgotten
   * validator cannot block a host for ever. The log warns from 30 days before.
   */
  expires?: string | Date;
  /** Log a mismatch (with the pins seen and expected) and accept: for trying a pin set out. */
  reportOnly?: boolean;
  /** For messages; default `pin set for <hosts>`. */
  name?: string;
}

export interface PinSet extends CertificateRule {
  readonly pins: readonly Pin[];
  readonly backupPins: readonly Pin[];
  readonly expires?: Date;
  /** Whether the set still applies at `now` (not past `expires`). */
  isActive(now?: Date): boolean;
}

/**
 * SPKI pins for hosts. A connection to a matching host is accepted only when a certificate of the chain
 * the server sent has one of `pins` or `backupPins`; otherwise declined with CERT_E_UNTRUSTEDROOT and a
 * reason listing the pins seen and expected. Throws (so the validator does not load) on a malformed pin,
 * host pattern or date, and when `backupPins` is missing.
 *
 * @example
 * pinSet({
 *   hosts: ['downloads.example.com'],
 *   pins: ['sha256/lr4TBP7oYCfC+n87lslHX+llLeT7ck8ZliVV5RP1vCA='],
 *   backupPins: ['sha256/I/AbicFDA/zN3ytG8ljuCXeuNuPHls76jkjrnugRCt0='],
 *   expires: '2026-12-31',
 * })
 */
export declare function pinSet(options: PinSetOptions): PinSet;

export interface PrivateCaOptions {
  /** Host patterns the CA is trusted for; other hosts are not its business. */
  hosts: readonly string[];
  /** The CA certificate(s): PEM text (may hold several) or DER bytes. */
  roots: ReadonlyArray<string | Uint8Array>;
  /** ChainPolicy flags relaxing checks (rarely wanted). */
  policyFlags?: number;
  reportOnly?: boolean;
  name?: string;
}

/**
 * Trusts a private CA for named hosts only: a matching host's chain must lead to one of `roots` and pass
 * the date, name and usage checks (verifyChain). It vouches for those hosts, so jobs may allow unknown
 * CAs in phase 1 (security flag 0x8) without trusting unknown CAs anywhere else.
 *
 * @example
 * privateCa({ hosts: ['*.corp.example'], roots: [CORP_CA_PEM] })
 */
export declare function privateCa(options: PrivateCaOptions): CertificateRule;

export interface InspectionRootOptions {
  /** The TLS-inspection (interception) root certificate(s): PEM text or DER bytes. */
  roots: ReadonlyArray<string | Uint8Array>;
  /** Hosts whose intercepted connections are accepted; an intercepted connection to any other host is declined. */
  hosts: readonly string[];
  reportOnly?: boolean;
  name?: string;
}

/**
 * A corporate TLS-inspection root, accepted only for named hosts: a chain issued by it is accepted for
 * `hosts` and declined for every other host, even when the root is in the system's trust store.
 * Chains not issued by it are left to the other rules.
 */
export declare function inspectionRoot(options: InspectionRootOptions): CertificateRule;

export interface CertificatePolicyOptions {
  rules: readonly CertificateRule[];
  /** Log every decline (`[report-only] would decline ...`) and accept: a rollout you can watch first. */
  reportOnly?: boolean;
  /**
   * A host that no rule vouches for, whose chain phase 1 let through only because the job allows unknown
   * CAs (flag 0x8): 'decline' (default) or 'accept'.
   */
  unvouchedUnknownCa?: 'decline' | 'accept';
}

/**
 * The rules combined into a validator (export it as the default): every rule that applies must accept;
 * the first decline is the answer.
 */
export declare function certificatePolicy(options: CertificatePolicyOptions): Validator;

/**
 * The validator's log: lines appear in the "Managed Downloads" output, prefixed with the file; `console.log`
 * goes there too. Each line is cut to 4,096 characters; at most 100 lines per 10 s are kept. The CLI prints errors on stderr, and every line with --verbose; `check-cert` shows them all.
 */
export declare const log: {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
};
