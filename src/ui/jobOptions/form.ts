// The Job Options form's model, without vscode: the values a job shows in it, the messages its webview may send,
// and the check that turns submitted values into what to apply (a setProperties patch, a priority, write-only
// header changes) or into inline messages per field. Messages from the webview are checked like any input.
import { BitsError } from '../../core/errors';
import {
  JobPriority,
  JobState,
  SecurityFlags,
  type FileChecksumChange,
  type JobPropertiesPatch,
  type JobSnapshot,
} from '../../core/model/job';
import { checkHeaders, checkSha256 } from '../../core/model/validation';

import type { Translate } from '../l10n';

/** vscode.l10n.t's shape (src/ui/l10n.ts), so these strings go through l10n while this module stays free of vscode. */
export type { Translate };

export type RedirectPolicy = 'ALLOW_SILENT' | 'ALLOW_REPORT' | 'DISALLOW';
export const PRIORITY_NAMES = ['FOREGROUND', 'HIGH', 'NORMAL', 'LOW'] as const;
export type PriorityName = (typeof PRIORITY_NAMES)[number];

/** The BG_SSL_* flags a person can tick, by their BITS names, in BITS's order. */
export const SSL_FLAGS = [
  { name: 'BG_SSL_ENABLE_CRL_CHECK', bit: SecurityFlags.ENABLE_CRL_CHECK },
  { name: 'BG_SSL_IGNORE_CERT_CN_INVALID', bit: SecurityFlags.IGNORE_CERT_CN_INVALID },
  { name: 'BG_SSL_IGNORE_CERT_DATE_INVALID', bit: SecurityFlags.IGNORE_CERT_DATE_INVALID },
  { name: 'BG_SSL_IGNORE_UNKNOWN_CA', bit: SecurityFlags.IGNORE_UNKNOWN_CA },
  { name: 'BG_SSL_IGNORE_CERT_WRONG_USAGE', bit: SecurityFlags.IGNORE_CERT_WRONG_USAGE },
] as const;

export const REDIRECT_POLICIES: readonly { policy: RedirectPolicy; name: string; bit: number }[] = [
  { policy: 'ALLOW_SILENT', name: 'BG_HTTP_REDIRECT_POLICY_ALLOW_SILENT', bit: SecurityFlags.REDIRECT_POLICY_ALLOW_SILENT },
  { policy: 'ALLOW_REPORT', name: 'BG_HTTP_REDIRECT_POLICY_ALLOW_REPORT', bit: SecurityFlags.REDIRECT_POLICY_ALLOW_REPORT },
  { policy: 'DISALLOW', name: 'BG_HTTP_REDIRECT_POLICY_DISALLOW', bit: SecurityFlags.REDIRECT_POLICY_DISALLOW },
];

export interface HeaderRow {
  name: string;
  /** For a write-only header already kept in the secret store, '' keeps its value (which the form never sees). */
  value: string;
  writeOnly: boolean;
  /** The name of the stored write-only header this row shows, when it shows one. */
  storedName?: string;
}

/** What the form shows and sends back; numbers as typed, so a wrong entry can be named. */
export interface FormValues {
  displayName: string;
  description: string;
  priority: PriorityName;
  /** Names from SSL_FLAGS that are ticked. */
  sslFlags: string[];
  redirectPolicy: RedirectPolicy;
  allowHttpsToHttp: boolean;
  minimumRetryDelay: string;
  noProgressTimeout: string;
  /** Expected sha256 per file, by file index; '' is no check. */
  checksums: string[];
  headers: HeaderRow[];
}

/** A field id (as the webview names its controls) to the message shown under that control. */
export type FieldErrors = Record<string, string>;

export interface SavePlan {
  /** Only what changed; empty when nothing did. */
  patch: JobPropertiesPatch;
  priority?: JobPriority;
  /** Write-only header values to store (new ones and replaced ones). */
  secretValues: Record<string, string>;
  /** Stored write-only headers to drop (removed, renamed, or made plain). */
  secretRemovals: string[];
}

export type SaveCheck = { ok: true; plan: SavePlan } | { ok: false; errors: FieldErrors };

export type FormMessage =
  | { type: 'save'; values: FormValues; start: boolean }
  | { type: 'cancel' }
  | { type: 'chooseClientCertificate' }
  | { type: 'removeClientCertificate' };

/** The job's current options as the form's values. Write-only values never leave the secret store. */
export function valuesOf(job: JobSnapshot): FormValues {
  const policy = job.securityFlags & SecurityFlags.REDIRECT_POLICY_MASK;
  return {
    displayName: job.displayName,
    description: job.description,
    priority: PRIORITY_NAMES[job.priority] ?? 'NORMAL',
    sslFlags: SSL_FLAGS.filter((f) => (job.securityFlags & f.bit) !== 0).map((f) => f.name),
    redirectPolicy: REDIRECT_POLICIES.find((p) => p.bit === policy)?.policy ?? 'ALLOW_SILENT',
    allowHttpsToHttp: (job.securityFlags & SecurityFlags.ALLOW_HTTPS_TO_HTTP_REDIRECT) !== 0,
    minimumRetryDelay: String(job.minimumRetryDelay),
    noProgressTimeout: String(job.noProgressTimeout),
    checksums: job.files.map((f) => f.sha256 ?? ''),
    headers: [
      ...Object.entries(job.customHeaders).map(([name, value]) => ({ name, value, writeOnly: false })),
      ...(job.writeOnlyHeaderNames ?? []).map((name) => ({ name, value: '', writeOnly: true, storedName: name })),
    ],
  };
}

/** Nothing can change on a finished job (BITS refuses every Set* on ACKNOWLEDGED and CANCELLED jobs). */
export function isEditable(job: JobSnapshot): boolean {
  return job.state !== JobState.ACKNOWLEDGED && job.state !== JobState.CANCELLED;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** A message from the webview, or undefined when it is not one the form sends. */
export function parseMessage(raw: unknown): FormMessage | undefined {
  if (!isObject(raw)) return undefined;
  switch (raw.type) {
    case 'cancel':
    case 'chooseClientCertificate':
    case 'removeClientCertificate':
      return { type: raw.type };
    case 'save': {
      const v = raw.values;
      if (!isObject(v)) return undefined;
      const priority = PRIORITY_NAMES.find((p) => p === v.priority) ?? 'NORMAL';
      const policy = REDIRECT_POLICIES.find((p) => p.policy === v.redirectPolicy)?.policy ?? 'ALLOW_SILENT';
      const known = new Set<string>(SSL_FLAGS.map((f) => f.name));
      return {
        type: 'save',
        // Save and Start: resume the job once its options are applied.
        start: raw.start === true,
        values: {
          displayName: str(v.displayName),
          description: str(v.description),
          priority,
          sslFlags: Array.isArray(v.sslFlags) ? v.sslFlags.filter((n): n is string => typeof n === 'string' && known.has(n)) : [],
          redirectPolicy: policy,
          allowHttpsToHttp: v.allowHttpsToHttp === true,
          minimumRetryDelay: str(v.minimumRetryDelay),
          noProgressTimeout: str(v.noProgressTimeout),
          checksums: Array.isArray(v.checksums) ? v.checksums.map(str) : [],
          headers: Array.isArray(v.headers)
            ? v.headers.filter(isObject).map((h) => ({
                name: str(h.name),
                value: str(h.value),
                writeOnly: h.writeOnly === true,
                ...(typeof h.storedName === 'string' ? { storedName: h.storedName } : {}),
              }))
            : [],
        },
      };
    }
    default:
      return undefined;
  }
}

function seconds(text: string, field: string, t: Translate, errors: FieldErrors): number | undefined {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed) || !Number.isSafeInteger(Number(trimmed))) {
    errors[field] = t('Enter a whole number of seconds, 0 or more.');
    return undefined;
  }
  return Number(trimmed);
}

function messageOf(err: unknown): string {
  return err instanceof BitsError || err instanceof Error ? err.message : String(err);
}

/** Checks submitted values against the job as it is now; returns what to apply, or a message per wrong field. */
export function checkValues(values: FormValues, job: JobSnapshot, t: Translate): SaveCheck {
  const errors: FieldErrors = {};
  if (!isEditable(job))
    return { ok: false, errors: { form: t('This job is finished ({0}): its options can no longer change.', JobState[job.state]) } };
  const patch: JobPropertiesPatch = {};

  const displayName = values.displayName.trim();
  if (!displayName) errors.displayName = t('Enter a name for the job.');
  else if (displayName.length > 256) errors.displayName = t('At most {0} characters.', 256);
  else if (displayName !== job.displayName) patch.displayName = displayName;
  if (values.description.length > 1024) errors.description = t('At most {0} characters.', 1024);
  else if (values.description !== job.description) patch.description = values.description;

  const retry = seconds(values.minimumRetryDelay, 'minimumRetryDelay', t, errors);
  if (retry !== undefined && retry !== job.minimumRetryDelay) patch.minimumRetryDelay = retry;
  const noProgress = seconds(values.noProgressTimeout, 'noProgressTimeout', t, errors);
  if (noProgress !== undefined && noProgress !== job.noProgressTimeout) patch.noProgressTimeout = noProgress;

  let flags = REDIRECT_POLICIES.find((p) => p.policy === values.redirectPolicy)?.bit ?? 0;
  for (const f of SSL_FLAGS) if (values.sslFlags.includes(f.name)) flags |= f.bit;
  if (values.allowHttpsToHttp) flags |= SecurityFlags.ALLOW_HTTPS_TO_HTTP_REDIRECT;
  if (flags !== job.securityFlags) patch.securityFlags = flags;

  const checksums: FileChecksumChange[] = [];
  job.files.forEach((file, index) => {
    const typed = (values.checksums[index] ?? '').trim();
    let wanted: string | null = null;
    if (typed) {
      try {
        wanted = checkSha256(typed);
      } catch {
        errors[`checksum-${index}`] = t('A sha256 is 64 hexadecimal characters (0-9, a-f); leave it empty for no check.');
        return;
      }
    }
    if (wanted === (file.sha256 ?? null)) return;
    if (file.transferred) errors[`checksum-${index}`] = t('This file is already transferred: its checksum can no longer change.');
    else checksums.push({ fileIndex: index, sha256: wanted });
  });
  if (checksums.length) patch.fileSha256 = checksums;

  const headers = checkHeaderRows(values.headers, job, t, errors);
  if (Object.keys(errors).length) return { ok: false, errors };
  if (!sameHeaders(headers.plain, job.customHeaders)) patch.customHeaders = headers.plain;
  const before = job.writeOnlyHeaderNames ?? [];
  if (headers.writeOnlyNames.join('\n') !== before.join('\n')) patch.writeOnlyHeaderNames = headers.writeOnlyNames;
  const priority = JobPriority[values.priority];
  return {
    ok: true,
    plan: {
      patch,
      ...(priority !== job.priority ? { priority } : {}),
      secretValues: headers.secretValues,
      secretRemovals: headers.secretRemovals,
    },
  };
}

function sameHeaders(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => b[k] === a[k]);
}

/** Each row checked on its own (so the message sits beside it), then the plain ones together (BITS's total length). */
function checkHeaderRows(rows: HeaderRow[], job: JobSnapshot, t: Translate, errors: FieldErrors) {
  const plain: Record<string, string> = {};
  const secretValues: Record<string, string> = {};
  const writeOnlyNames: string[] = [];
  const seen = new Set<string>();
  const stored = new Set((job.writeOnlyHeaderNames ?? []).map((n) => n.toLowerCase()));
  const kept = new Set<string>();
  rows.forEach((row, index) => {
    const name = row.name.trim();
    if (!name && !row.value) return; // an empty row the person added and left
    const field = `header-${index}`;
    if (!name) return void (errors[field] = t('Enter the header name.'));
    if (seen.has(name.toLowerCase())) return void (errors[field] = t('The header {0} is listed twice.', name));
    seen.add(name.toLowerCase());
    const keepsStored =
      row.writeOnly && !row.value && row.storedName?.toLowerCase() === name.toLowerCase() && stored.has(name.toLowerCase());
    if (!keepsStored && !row.value) {
      return void (errors[field] = row.storedName
        ? t('Type the value again: a write-only value is never shown, so it cannot move to another name or become plain.')
        : t('Enter the value of {0}.', name));
    }
    try {
      checkHeaders({ [name]: keepsStored ? 'x' : row.value });
    } catch (err) {
      return void (errors[field] = messageOf(err));
    }
    if (!row.writeOnly) plain[name] = row.value;
    else {
      writeOnlyNames.push(name);
      if (keepsStored) kept.add(name.toLowerCase());
      else secretValues[name] = row.value;
    }
  });
  if (!Object.keys(errors).some((k) => k.startsWith('header-'))) {
    try {
      checkHeaders(plain);
    } catch (err) {
      errors.headers = messageOf(err);
    }
  }
  const secretRemovals = (job.writeOnlyHeaderNames ?? []).filter(
    (n) => !kept.has(n.toLowerCase()) && !Object.keys(secretValues).some((s) => s.toLowerCase() === n.toLowerCase()),
  );
  return { plain, secretValues, writeOnlyNames, secretRemovals };
}

export function planIsEmpty(plan: SavePlan): boolean {
  return (
    Object.keys(plan.patch).length === 0 &&
    plan.priority === undefined &&
    Object.keys(plan.secretValues).length === 0 &&
    plan.secretRemovals.length === 0
  );
}
