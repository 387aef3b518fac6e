// How jobs read on a terminal and in JSON: states, priorities, contexts and codes by name, sizes in binary units.
import { codeName, ErrorContext, formatCode } from '../core/errors';
import { JobPriority, JobState, SecurityFlags, type JobProgress, type JobSnapshot } from '../core/model/job';

export function formatBytes(n: number | null): string {
  if (n === null) return '?';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${n} B` : `${value.toFixed(1)} ${units[unit]}`;
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function percent(progress: JobProgress): string {
  if (progress.bytesTotal === null || progress.bytesTotal === 0)
    return progress.filesTotal > 0 && progress.filesTransferred === progress.filesTotal ? '100%' : '  ?%';
  return `${((100 * progress.bytesTransferred) / progress.bytesTotal).toFixed(1)}%`;
}

/** "state ERROR, context REMOTE_FILE (5), code 0x80190194 BG_E_HTTP_ERROR_404: The server answered HTTP 404." */
export function describeFailure(job: JobSnapshot): string {
  const state = `state ${JobState[job.state]}`;
  if (!job.error) return state;
  const e = job.error;
  return `${state}, context ${ErrorContext[e.context] ?? e.context} (${e.context}), code ${formatCode(e.code)} ${codeName(e.code)}: ${e.description}`;
}

export function jobJson(job: JobSnapshot, progress: JobProgress) {
  return {
    id: job.id,
    displayName: job.displayName,
    description: job.description,
    state: JobState[job.state],
    priority: JobPriority[job.priority],
    owner: job.owner,
    times: job.times,
    minimumRetryDelay: job.minimumRetryDelay,
    noProgressTimeout: job.noProgressTimeout,
    securityFlags: formatCode(job.securityFlags),
    redirectPolicy: redirectPolicyName(job.securityFlags),
    autoComplete: job.autoComplete ?? false,
    // Names only: a value may be a credential someone put in a header the product does not know as one.
    headers: Object.keys(job.customHeaders),
    writeOnlyHeaders: job.writeOnlyHeaderNames ?? [],
    ...(job.clientCertificate
      ? {
          clientCertificate: {
            subject: job.clientCertificate.subject,
            sha1Thumbprint: job.clientCertificate.sha1Thumbprint,
            notAfter: job.clientCertificate.notAfter,
            format: job.clientCertificate.format,
          },
        }
      : {}),
    progress,
    files: job.files.map((f) => ({
      remoteUrl: f.remoteUrl,
      localPath: f.localPath,
      tempPath: f.tempPath,
      bytesTotal: f.bytesTotal,
      bytesTransferred: f.bytesTransferred,
      transferred: f.transferred,
      ...(f.sha256 ? { sha256: f.sha256 } : {}),
      ...(f.finalUrl ? { finalUrl: f.finalUrl } : {}),
    })),
    error: job.error
      ? {
          context: job.error.context,
          contextName: ErrorContext[job.error.context],
          code: formatCode(job.error.code),
          codeName: codeName(job.error.code),
          description: job.error.description,
          fileIndex: job.error.fileIndex,
          time: job.error.time,
        }
      : undefined,
    ...(job.retryAt ? { retryAt: new Date(job.retryAt).toISOString() } : {}),
  };
}

/** The redirect policy bits of a job's security flags, by the name --redirect-policy takes. */
export function redirectPolicyName(flags: number): string {
  const policy = flags & SecurityFlags.REDIRECT_POLICY_MASK;
  if (policy === SecurityFlags.REDIRECT_POLICY_ALLOW_REPORT) return 'report';
  if (policy === SecurityFlags.REDIRECT_POLICY_DISALLOW) return 'disallow';
  return 'allow';
}

/** One line of `list`. */
export function jobLine(job: JobSnapshot, progress: JobProgress): string {
  const files = `${progress.filesTransferred}/${progress.filesTotal}`;
  return [
    job.id.slice(0, 8),
    JobState[job.state].padEnd(15),
    percent(progress).padStart(6),
    `${formatBytes(progress.bytesTransferred)} / ${formatBytes(progress.bytesTotal)}`.padEnd(24),
    files.padStart(7),
    job.displayName,
  ].join('  ');
}

export const LIST_HEADER = ['ID      ', 'STATE          ', 'DONE  ', 'BYTES                   ', '  FILES', 'NAME'].join('  ');

/** `info` in text. */
export function jobDetails(job: JobSnapshot, progress: JobProgress): string {
  const lines = [
    `Job ${job.id}`,
    `  name:        ${job.displayName}${job.description ? ` (${job.description})` : ''}`,
    `  state:       ${JobState[job.state]}${job.retryAt && job.state === JobState.TRANSIENT_ERROR ? `, next retry ${new Date(job.retryAt).toISOString()}` : ''}`,
    `  priority:    ${JobPriority[job.priority]}    owner: ${job.owner}`,
    `  progress:    ${percent(progress)}, ${formatBytes(progress.bytesTransferred)} of ${formatBytes(progress.bytesTotal)}, ${progress.filesTransferred} of ${progress.filesTotal} file(s)`,
    `  created:     ${job.times.created}    modified: ${job.times.modified}${job.times.transferCompleted ? `    transferred: ${job.times.transferCompleted}` : ''}`,
    `  retry delay: ${job.minimumRetryDelay}s    no-progress timeout: ${job.noProgressTimeout}s    security flags: ${formatCode(job.securityFlags)} (redirects: ${redirectPolicyName(job.securityFlags)})`,
  ];
  const headers = [...Object.keys(job.customHeaders), ...(job.writeOnlyHeaderNames ?? []).map((n) => `${n} (write-only)`)];
  if (headers.length > 0) lines.push(`  headers:     ${headers.join(', ')}`);
  if (job.clientCertificate) lines.push(`  client cert: ${job.clientCertificate.subject} (SHA-1 ${job.clientCertificate.sha1Thumbprint})`);
  if (job.error) lines.push(`  error:       ${describeFailure(job)}`);
  job.files.forEach((f, i) => {
    lines.push(`  file ${i}: ${f.remoteUrl}`);
    lines.push(
      `    -> ${f.localPath}  ${f.transferred ? 'transferred' : `${formatBytes(f.bytesTransferred)} of ${formatBytes(f.bytesTotal)}`}${f.sha256 ? `  sha256 ${f.sha256}` : ''}`,
    );
  });
  return lines.join('\n');
}
