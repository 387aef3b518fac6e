// The Job Options form as one HTML page, without vscode: native controls styled with VS Code's theme variables,
// every control labelled, messages under their fields (role=alert), a strict CSP that runs only the page's own
// nonce'd script and loads nothing. The page's script only collects values and shows what the extension answers.
import { JobState, type JobSnapshot } from '../../core/model/job';
import type { Translate } from '../l10n';
import { isEditable, PRIORITY_NAMES, REDIRECT_POLICIES, SSL_FLAGS, type FormValues, type HeaderRow } from './form';
import { FORM_SCRIPT, FORM_STYLE } from './page';

/** What the page shows of the job besides the values: it changes while the form is open (state, transfers, certificate). */
export interface JobView {
  state: string;
  editable: boolean;
  /** Per file: whether its checksum can still change. */
  fileLocked: boolean[];
  /** SUSPENDED with files: the form offers Save and Start (a New Download whose options come first waits so). */
  startable: boolean;
  clientCertificate?: { subject: string; sha1Thumbprint: string; notAfter: string };
}

export function jobViewOf(job: JobSnapshot): JobView {
  const cert = job.clientCertificate;
  return {
    state: JobState[job.state] ?? String(job.state),
    editable: isEditable(job),
    fileLocked: job.files.map((f) => f.transferred),
    startable: job.state === JobState.SUSPENDED && job.files.length > 0,
    ...(cert ? { clientCertificate: { subject: cert.subject, sha1Thumbprint: cert.sha1Thumbprint, notAfter: cert.notAfter } } : {}),
  };
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON inside a <script type="application/json">: no "</script>" or "<!--" can end it early. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

export function sslFlagHelp(t: Translate): Record<string, string> {
  return {
    BG_SSL_ENABLE_CRL_CHECK: t('Check every certificate of the chain against its revocation list; fail when that cannot be done.'),
    BG_SSL_IGNORE_CERT_CN_INVALID: t('Accept a certificate whose names do not match the host.'),
    BG_SSL_IGNORE_CERT_DATE_INVALID: t('Accept an expired or not yet valid certificate.'),
    BG_SSL_IGNORE_UNKNOWN_CA: t(
      'Accept a chain that ends at a root nobody trusts here (a private CA). The job validator, when there is one, still judges it.',
    ),
    BG_SSL_IGNORE_CERT_WRONG_USAGE: t('Accept a certificate not issued for server authentication.'),
  };
}

function redirectHelp(t: Translate): Record<string, string> {
  return {
    ALLOW_SILENT: t('Follow redirects (the default).'),
    ALLOW_REPORT: t('Follow redirects and record the final URL as the file\u2019s remote name.'),
    DISALLOW: t('Fail the job when the server redirects.'),
  };
}

/** Strings the page's script needs for rows it adds itself. */
function scriptStrings(t: Translate): Record<string, string> {
  return {
    headerName: t('Name of header {0}'),
    headerValue: t('Value of header {0}'),
    headerWriteOnly: t('Header {0} is write-only'),
    writeOnly: t('Write-only'),
    remove: t('Remove'),
    removeHeader: t('Remove header {0}'),
    storedValue: t('(kept in the secret store; type to replace)'),
    saving: t('Saving\u2026'),
    noCertificate: t('None. A server that asks for a client certificate gets none.'),
    certificate: t('{0} (SHA-1 {1}), expires {2}'),
    finished: t('This job is {0}: its options can no longer change.'),
    errorsBelow: t('Some options need fixing; see the messages below them.'),
  };
}

function field(id: string, label: string, control: string, hint?: string): string {
  const hintHtml = hint ? `<div class="hint" id="${id}-hint">${escapeHtml(hint)}</div>` : '';
  return `<div class="field"><label for="${id}">${escapeHtml(label)}</label>${control}${hintHtml}<div class="error" id="${id}-error" role="alert"></div></div>`;
}

function describedBy(id: string, hint: boolean): string {
  return `aria-describedby="${hint ? `${id}-hint ` : ''}${id}-error"`;
}

export function headerRowHtml(row: HeaderRow, index: number, t: Translate): string {
  const n = index + 1;
  const stored = row.writeOnly && row.storedName !== undefined;
  return `<div class="header-row" data-index="${index}"${stored ? ` data-stored-name="${escapeHtml(row.storedName!)}"` : ''}>
  <input type="text" class="header-name" id="header-${index}-name" aria-label="${escapeHtml(t('Name of header {0}', n))}" value="${escapeHtml(row.name)}" placeholder="X-Header" spellcheck="false" aria-describedby="header-${index}-error">
  <input type="${row.writeOnly ? 'password' : 'text'}" class="header-value" id="header-${index}-value" aria-label="${escapeHtml(t('Value of header {0}', n))}" value="${escapeHtml(row.value)}" placeholder="${stored ? escapeHtml(t('(kept in the secret store; type to replace)')) : ''}" spellcheck="false" autocomplete="off" aria-describedby="header-${index}-error">
  <label class="inline"><input type="checkbox" class="header-write-only" id="header-${index}-write-only" aria-label="${escapeHtml(t('Header {0} is write-only', n))}"${row.writeOnly ? ' checked' : ''}> ${escapeHtml(t('Write-only'))}</label>
  <button type="button" class="secondary header-remove" aria-label="${escapeHtml(t('Remove header {0}', n))}">${escapeHtml(t('Remove'))}</button>
  <div class="error" id="header-${index}-error" role="alert"></div>
</div>`;
}

export interface PageInput {
  job: JobSnapshot;
  values: FormValues;
  nonce: string;
  cspSource: string;
  t: Translate;
}

export function formHtml({ job, values, nonce, cspSource, t }: PageInput): string {
  const view = jobViewOf(job);
  const failed = job.state === JobState.ERROR || job.state === JobState.TRANSIENT_ERROR;
  const help = sslFlagHelp(t);
  const redirects = redirectHelp(t);
  const priorityLabels: Record<string, string> = {
    FOREGROUND: t('Foreground: before everything else'),
    HIGH: t('High'),
    NORMAL: t('Normal (the default)'),
    LOW: t('Low: when nothing else waits'),
  };
  const files = job.files.length
    ? job.files
        .map((file, i) => {
          const id = `checksum-${i}`;
          const locked = file.transferred;
          return field(
            id,
            t('sha256 of file {0}: {1}', i + 1, file.localPath),
            `<input type="text" id="${id}" class="checksum mono" value="${escapeHtml(values.checksums[i] ?? '')}" maxlength="64" spellcheck="false" autocomplete="off" ${describedBy(id, true)}${locked ? ' disabled' : ''}>`,
            locked ? t('{0} \u2014 transferred; its checksum is fixed.', file.remoteUrl) : t('{0} \u2014 empty: no check.', file.remoteUrl),
          );
        })
        .join('\n')
    : `<p class="hint">${escapeHtml(t('The job has no files yet. Add files to it (Add File to Job), then give each one a checksum here.'))}</p>`;

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ${cspSource}; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(t('Job Options: {0}', job.displayName))}</title>
<style nonce="${nonce}">${FORM_STYLE}</style>
</head>
<body>
<form id="form" novalidate>
<h1>${escapeHtml(t('Job Options'))}</h1>
<p class="hint" id="state">${escapeHtml(view.editable ? t('State: {0}. Changes apply from the job\u2019s next connection.', view.state) : t('State: {0}.', view.state))}${failed ? ` ${escapeHtml(t('After saving, use Retry Job Now to try again with the new options.'))}` : ''}</p>
<div class="banner" id="form-error" role="alert"></div>

<fieldset><legend>${escapeHtml(t('General'))}</legend>
${field('displayName', t('Display name'), `<input type="text" id="displayName" value="${escapeHtml(values.displayName)}" maxlength="256" required ${describedBy('displayName', false)}>`)}
${field('description', t('Description'), `<textarea id="description" rows="2" maxlength="1024" ${describedBy('description', false)}>${escapeHtml(values.description)}</textarea>`)}
${field('priority', t('Priority'), `<select id="priority" ${describedBy('priority', false)}>${PRIORITY_NAMES.map((p) => `<option value="${p}"${p === values.priority ? ' selected' : ''}>${escapeHtml(priorityLabels[p])}</option>`).join('')}</select>`)}
</fieldset>

<fieldset><legend>${escapeHtml(t('Certificate checks (BITS security flags)'))}</legend>
<p class="hint">${escapeHtml(t('Each flag relaxes or tightens the platform\u2019s check of the server certificate (phase 1). Leave them clear unless you know why.'))}</p>
${SSL_FLAGS.map(
  (f) =>
    `<div class="check"><input type="checkbox" id="flag-${f.name}" name="sslFlags" value="${f.name}"${values.sslFlags.includes(f.name) ? ' checked' : ''} aria-describedby="flag-${f.name}-hint"><label for="flag-${f.name}"><code>${f.name}</code> (0x${f.bit.toString(16)})</label><div class="hint" id="flag-${f.name}-hint">${escapeHtml(help[f.name])}</div></div>`,
).join('\n')}
</fieldset>

<fieldset><legend>${escapeHtml(t('Redirects'))}</legend>
${REDIRECT_POLICIES.map(
  (p) =>
    `<div class="check"><input type="radio" id="redirect-${p.policy}" name="redirectPolicy" value="${p.policy}"${p.policy === values.redirectPolicy ? ' checked' : ''} aria-describedby="redirect-${p.policy}-hint"><label for="redirect-${p.policy}"><code>${p.name}</code> (0x${p.bit.toString(16)})</label><div class="hint" id="redirect-${p.policy}-hint">${escapeHtml(redirects[p.policy])}</div></div>`,
).join('\n')}
<div class="check"><input type="checkbox" id="allowHttpsToHttp"${values.allowHttpsToHttp ? ' checked' : ''} aria-describedby="allowHttpsToHttp-hint"><label for="allowHttpsToHttp"><code>BG_HTTP_REDIRECT_POLICY_ALLOW_HTTPS_TO_HTTP</code> (0x800)</label><div class="hint" id="allowHttpsToHttp-hint">${escapeHtml(t('Allow a redirect from https to plain http (refused otherwise).'))}</div></div>
</fieldset>

<fieldset><legend>${escapeHtml(t('Retries'))}</legend>
${field('minimumRetryDelay', t('Minimum retry delay (seconds)'), `<input type="text" inputmode="numeric" id="minimumRetryDelay" value="${escapeHtml(values.minimumRetryDelay)}" ${describedBy('minimumRetryDelay', true)}>`, t('How long a job waits in a transient error before it tries again (BITS: 600; at least 5).'))}
${field('noProgressTimeout', t('No-progress timeout (seconds)'), `<input type="text" inputmode="numeric" id="noProgressTimeout" value="${escapeHtml(values.noProgressTimeout)}" ${describedBy('noProgressTimeout', true)}>`, t('How long transient errors may go on without progress before the job fails for good (BITS: 1209600, 14 days; 0: the first error is final).'))}
</fieldset>

<fieldset><legend>${escapeHtml(t('Checksums'))}</legend>
${files}
</fieldset>

<fieldset><legend>${escapeHtml(t('HTTP headers'))}</legend>
<p class="hint">${escapeHtml(t('Sent with every request of the job. A write-only value (a token) is kept in VS Code\u2019s secret storage, never in the job store or the log, and is never shown again.'))}</p>
<div id="headers">${values.headers.map((h, i) => headerRowHtml(h, i, t)).join('\n')}</div>
<div class="error" id="headers-error" role="alert"></div>
<button type="button" class="secondary" id="add-header">${escapeHtml(t('Add Header'))}</button>
</fieldset>

<fieldset><legend>${escapeHtml(t('Client certificate'))}</legend>
<p id="certificate">${escapeHtml(view.clientCertificate ? t('{0} (SHA-1 {1}), expires {2}', view.clientCertificate.subject, view.clientCertificate.sha1Thumbprint, view.clientCertificate.notAfter) : t('None. A server that asks for a client certificate gets none.'))}</p>
<p class="hint">${escapeHtml(t('Choosing or removing a certificate applies at once, without Save.'))}</p>
<button type="button" class="secondary" id="choose-certificate">${escapeHtml(t('Choose Certificate\u2026'))}</button>
<button type="button" class="secondary" id="remove-certificate"${view.clientCertificate ? '' : ' hidden'}>${escapeHtml(t('Remove Certificate'))}</button>
</fieldset>

<div class="actions">
<button type="button" id="save-start"${view.startable ? '' : ' hidden'}>${escapeHtml(t('Save and Start'))}</button>
<button type="submit" id="save"${view.startable ? ' class="secondary"' : ''}>${escapeHtml(t('Save'))}</button>
<button type="button" class="secondary" id="cancel">${escapeHtml(t('Cancel'))}</button>
</div>
</form>
<script type="application/json" id="strings">${jsonForScript(scriptStrings(t))}</script>
<script type="application/json" id="view">${jsonForScript(view)}</script>
<script nonce="${nonce}">${FORM_SCRIPT}</script>
</body>
</html>`;
}
