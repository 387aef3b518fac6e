// A job written out in Markdown: the short form for the tree's tooltip, the long form for "Show Job Details".
// Pure (no vscode import). Header values are never written out: only their names.
import * as path from 'node:path';
import { codeName, formatCode } from '../core/errors';
import { JobState, SecurityFlags, type JobProgress, type JobSnapshot } from '../core/jobs/model';
import { errorContextLabels, formatBytes, formatRate, percentDone, priorityLabels, stateLabels } from './format';

/** Escapes what Markdown would otherwise interpret in names and URLs that come from users and servers. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, (c) => '\\' + c);
}

function localTime(iso: string | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

function sizeLine(progress: JobProgress): string {
  const percent = percentDone(progress);
  const total = progress.bytesTotal === null ? 'unknown size' : formatBytes(progress.bytesTotal);
  return `${formatBytes(progress.bytesTransferred)} of ${total}${percent === undefined ? '' : ` (${percent}%)`}`;
}

function errorLines(job: JobSnapshot): string[] {
  if (!job.error) return [];
  const e = job.error;
  const file = e.fileIndex === undefined ? undefined : job.files[e.fileIndex];
  return [
    `**Error:** ${escapeMarkdown(e.description)}`,
    `**Code:** \`${codeName(e.code)}\` (\`${formatCode(e.code)}\`) · **Context:** ${errorContextLabels[e.context] ?? e.context} (${e.context})`,
    ...(file ? [`**File:** ${escapeMarkdown(file.remoteUrl)}`] : []),
    `**When:** ${localTime(e.time)}`,
  ];
}

/** The tooltip: what a person checks when the one-line description is not enough. */
export function jobTooltipMarkdown(job: JobSnapshot, progress: JobProgress): string {
  const lines = [
    `**${escapeMarkdown(job.displayName)}** — ${stateLabels[job.state]}`,
    '',
    `**Progress:** ${sizeLine(progress)} · ${progress.filesTransferred} of ${progress.filesTotal} files${progress.rate > 0 ? ` · ${formatRate(progress.rate)}` : ''}`,
    `**Priority:** ${priorityLabels[job.priority]} · **Owner:** ${escapeMarkdown(job.owner)}`,
    `**Created:** ${localTime(job.times.created)} · **Modified:** ${localTime(job.times.modified)}`,
  ];
  if (job.times.transferCompleted) lines.push(`**Transferred:** ${localTime(job.times.transferCompleted)}`);
  if (job.state === JobState.TRANSIENT_ERROR && job.retryAt !== undefined) {
    lines.push(`**Next retry:** ${new Date(job.retryAt).toLocaleString()}`);
  }
  const err = errorLines(job);
  if (err.length) lines.push('', ...err);
  // Two trailing spaces make each line a line of its own in Markdown.
  return lines.map((l) => (l ? l + '  ' : l)).join('\n');
}

function securityFlagNames(flags: number): string {
  const names: string[] = (
    [
      ['ENABLE_CRL_CHECK', SecurityFlags.ENABLE_CRL_CHECK],
      ['IGNORE_CERT_CN_INVALID', SecurityFlags.IGNORE_CERT_CN_INVALID],
      ['IGNORE_CERT_DATE_INVALID', SecurityFlags.IGNORE_CERT_DATE_INVALID],
      ['IGNORE_UNKNOWN_CA', SecurityFlags.IGNORE_UNKNOWN_CA],
      ['IGNORE_CERT_WRONG_USAGE', SecurityFlags.IGNORE_CERT_WRONG_USAGE],
      ['ALLOW_HTTPS_TO_HTTP_REDIRECT', SecurityFlags.ALLOW_HTTPS_TO_HTTP_REDIRECT],
    ] as const
  )
    .filter(([, bit]) => (flags & bit) !== 0)
    .map(([name]) => name);
  const policy = flags & SecurityFlags.REDIRECT_POLICY_MASK;
  names.push(
    policy === SecurityFlags.REDIRECT_POLICY_DISALLOW
      ? 'REDIRECT_POLICY_DISALLOW'
      : policy === SecurityFlags.REDIRECT_POLICY_ALLOW_REPORT
        ? 'REDIRECT_POLICY_ALLOW_REPORT'
        : 'REDIRECT_POLICY_ALLOW_SILENT',
  );
  return names.join(', ');
}

function tableCell(text: string): string {
  return escapeMarkdown(text).replace(/\n/g, ' ');
}

/** The whole job, for the read-only "Show Job Details" document. */
export function jobDetailsMarkdown(job: JobSnapshot, progress: JobProgress): string {
  const out = [
    `# ${escapeMarkdown(job.displayName)}`,
    '',
    ...(job.description ? [escapeMarkdown(job.description), ''] : []),
    '| | |',
    '|---|---|',
    `| State | ${stateLabels[job.state]} (\`${JobState[job.state]}\`) |`,
    `| Progress | ${sizeLine(progress)}; ${progress.filesTransferred} of ${progress.filesTotal} files |`,
    `| Rate | ${progress.rate > 0 ? formatRate(progress.rate) : '—'} |`,
    `| Priority | ${priorityLabels[job.priority]} |`,
    `| Owner | ${tableCell(job.owner)} |`,
    `| Job id | \`${job.id}\` |`,
    `| Created | ${localTime(job.times.created)} |`,
    `| Modified | ${localTime(job.times.modified)} |`,
    `| Transfer completed | ${localTime(job.times.transferCompleted)} |`,
    `| Minimum retry delay | ${job.minimumRetryDelay} s |`,
    `| No-progress timeout | ${job.noProgressTimeout} s |`,
    `| Security flags | \`${formatCode(job.securityFlags)}\` ${securityFlagNames(job.securityFlags)} |`,
    `| Certificate validator | ${job.validator === 'api' ? `set by ${tableCell(job.owner)} through the API` : 'the workspace validator in force at each connection (managedDownloads.certificateValidator), when one is set'} |`,
    `| Auto-complete | ${job.autoComplete ? 'yes' : 'no'} |`,
  ];
  const headerNames = Object.keys(job.customHeaders);
  const writeOnly = job.writeOnlyHeaderNames ?? [];
  if (headerNames.length || writeOnly.length) {
    out.push(`| Custom headers | ${[...headerNames, ...writeOnly.map((n) => `${n} (write-only)`)].map(tableCell).join(', ')} |`);
  }
  if (job.error) out.push('', '## Error', '', ...errorLines(job).map((l) => l + '  '));
  out.push('', '## Files', '');
  if (job.files.length === 0) out.push('No files yet.');
  job.files.forEach((file, i) => {
    const total = file.bytesTotal === null ? 'unknown size' : formatBytes(file.bytesTotal);
    out.push(
      `### ${i + 1}. ${escapeMarkdown(path.basename(file.localPath))}`,
      '',
      `- URL: ${escapeMarkdown(file.remoteUrl)}`,
      ...(file.finalUrl && file.finalUrl !== file.remoteUrl ? [`- Redirected to: ${escapeMarkdown(file.finalUrl)}`] : []),
      `- Destination: ${escapeMarkdown(file.localPath)}`,
      `- Transferred: ${formatBytes(file.bytesTransferred)} of ${total}${file.transferred ? ' (whole)' : ''}`,
      ...(file.sha256 ? [`- Expected sha256: \`${file.sha256}\``] : []),
      '',
    );
  });
  return out.join('\n') + '\n';
}
