// A job written out in Markdown: the short form for the tree's tooltip, the long form for "Show Job Details".
// Pure (no vscode import). Header values are never written out: only their names.
import * as path from 'node:path';
import { codeName, formatCode } from '../core/errors';
import { JobState, SecurityFlags, type JobProgress, type JobSnapshot } from '../core/model/job';
import { errorContextLabels, formatBytes, formatRate, percentDone, priorityLabels, stateLabels } from './format';
import { t } from './l10n';

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
  const total = progress.bytesTotal === null ? t('unknown size') : formatBytes(progress.bytesTotal);
  return percent === undefined
    ? t('{0} of {1}', formatBytes(progress.bytesTransferred), total)
    : t('{0} of {1} ({2}%)', formatBytes(progress.bytesTransferred), total, percent);
}

function errorLines(job: JobSnapshot): string[] {
  if (!job.error) return [];
  const e = job.error;
  const file = e.fileIndex === undefined ? undefined : job.files[e.fileIndex];
  return [
    t('**Error:** {0}', escapeMarkdown(e.description)),
    t(
      '**Code:** `{0}` (`{1}`) · **Context:** {2} ({3})',
      codeName(e.code),
      formatCode(e.code),
      errorContextLabels[e.context] ?? e.context,
      e.context,
    ),
    ...(file ? [t('**File:** {0}', escapeMarkdown(file.remoteUrl))] : []),
    t('**When:** {0}', localTime(e.time)),
  ];
}

/** The tooltip: what a person checks when the one-line description is not enough. */
export function jobTooltipMarkdown(job: JobSnapshot, progress: JobProgress): string {
  const lines = [
    `**${escapeMarkdown(job.displayName)}** — ${stateLabels[job.state]}`,
    '',
    t('**Progress:** {0} · {1} of {2} files', sizeLine(progress), progress.filesTransferred, progress.filesTotal) +
      (progress.rate > 0 ? ` · ${formatRate(progress.rate)}` : ''),
    t('**Priority:** {0} · **Owner:** {1}', priorityLabels[job.priority], escapeMarkdown(job.owner)),
    t('**Created:** {0} · **Modified:** {1}', localTime(job.times.created), localTime(job.times.modified)),
  ];
  if (job.times.transferCompleted) lines.push(t('**Transferred:** {0}', localTime(job.times.transferCompleted)));
  if (job.state === JobState.TRANSIENT_ERROR && job.retryAt !== undefined) {
    lines.push(t('**Next retry:** {0}', new Date(job.retryAt).toLocaleString()));
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
    `| ${t('State')} | ${stateLabels[job.state]} (\`${JobState[job.state]}\`) |`,
    `| ${t('Progress')} | ${t('{0}; {1} of {2} files', sizeLine(progress), progress.filesTransferred, progress.filesTotal)} |`,
    `| ${t('Rate')} | ${progress.rate > 0 ? formatRate(progress.rate) : '—'} |`,
    `| ${t('Priority')} | ${priorityLabels[job.priority]} |`,
    `| ${t('Owner')} | ${tableCell(job.owner)} |`,
    `| ${t('Job id')} | \`${job.id}\` |`,
    `| ${t('Created')} | ${localTime(job.times.created)} |`,
    `| ${t('Modified')} | ${localTime(job.times.modified)} |`,
    `| ${t('Transfer completed')} | ${localTime(job.times.transferCompleted)} |`,
    `| ${t('Minimum retry delay')} | ${job.minimumRetryDelay} s |`,
    `| ${t('No-progress timeout')} | ${job.noProgressTimeout} s |`,
    `| ${t('Security flags')} | \`${formatCode(job.securityFlags)}\` ${securityFlagNames(job.securityFlags)} |`,
    `| ${t('Certificate validator')} | ${job.validator === 'api' ? t('set by {0} through the API', tableCell(job.owner)) : t('the workspace validator in force at each connection (managedDownloads.certificateValidator), when one is set')} |`,
    `| ${t('Auto-complete')} | ${job.autoComplete ? t('yes') : t('no')} |`,
  ];
  const headerNames = Object.keys(job.customHeaders);
  const writeOnly = job.writeOnlyHeaderNames ?? [];
  if (headerNames.length || writeOnly.length) {
    out.push(
      `| ${t('Custom headers')} | ${[...headerNames, ...writeOnly.map((n) => t('{0} (write-only)', n))].map(tableCell).join(', ')} |`,
    );
  }
  if (job.error) out.push('', t('## Error'), '', ...errorLines(job).map((l) => l + '  '));
  out.push('', t('## Files'), '');
  if (job.files.length === 0) out.push(t('No files yet.'));
  job.files.forEach((file, i) => {
    const total = file.bytesTotal === null ? t('unknown size') : formatBytes(file.bytesTotal);
    out.push(
      `### ${i + 1}. ${escapeMarkdown(path.basename(file.localPath))}`,
      '',
      t('- URL: {0}', escapeMarkdown(file.remoteUrl)),
      ...(file.finalUrl && file.finalUrl !== file.remoteUrl ? [t('- Redirected to: {0}', escapeMarkdown(file.finalUrl))] : []),
      t('- Destination: {0}', escapeMarkdown(file.localPath)),
      file.transferred
        ? t('- Transferred: {0} of {1} (whole)', formatBytes(file.bytesTransferred), total)
        : t('- Transferred: {0} of {1}', formatBytes(file.bytesTransferred), total),
      ...(file.sha256 ? [t('- Expected sha256: `{0}`', file.sha256)] : []),
      '',
    );
  });
  return out.join('\n') + '\n';
}
