// The certificate validator's contract, and the helper module a validator imports as
// `managed-downloads/validator`. This one file is the source of truth for both the product's code and
// validator authors (it is shipped as the module's declarations).
//
// A validator file:
//
//   import { verifyChain, S_OK, type ValidationInput } from 'managed-downloads/validator';
//   export default function validate(input: ValidationInput) {
//     return input.endpoint.host.endsWith('.corp.example') ? verifyChain(input, { roots: [CORP_CA] }).code : S_OK;
//   }
//
// It runs only after phase 1 (the platform check) accepted the certificate, in a worker thread with a
// time limit per call. Return 0 (S_OK) to accept; any other HRESULT, `{ code, reason }`, or a thrown
// error declines (the job goes to TRANSIENT_ERROR with context SERVER_CERTIFICATE_CALLBACK and your code).

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
  /** The chain the server sent (leaf first), as a PKCS#7 certificates-only SignedData, DER (steps 2-3). */
  certStoreData: Uint8Array;
  certStoreLength: number;
  /** The same chain, parsed, leaf first. */
  certStore: CertificateView[];
  /** The leaf, parsed (same as certStore[0]). */
  certificate: CertificateView;
}

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
export declare function verifyChain(input: Pick<ValidationInput, 'certData' | 'certStoreData'> & { endpoint?: Endpoint }, options: ChainOptions): ChainVerdict;

/** `sha256/<base64 of sha256(SPKI)>` of a certificate. */
export declare function spkiPin(cert: CertificateView | Uint8Array): string;

/**
 * Accepts when any certificate the server sent has one of `pins` (`sha256/<base64>`, or bare base64);
 * otherwise declines with CERT_E_UNTRUSTEDROOT and a reason listing the pins seen and expected.
 */
export declare function checkPins(input: ValidationInput, pins: readonly string[]): ValidationResult;

/** `{ code, reason }` for a decline. */
export declare function decline(reason: string, code?: HRESULT): { code: HRESULT; reason: string };
