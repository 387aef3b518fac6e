// "Show Certificate Rejections": counts per endpoint first (a one-off and a flood from one server must look
// different), then the latest attempts one by one. Pure (no vscode import).
import { formatCode } from '../../core/errors';
import type { EndpointRejections, RejectionRecord } from '../../core/tls/rejection-log';
import { escapeMarkdown } from '../jobMarkdown';
import { t } from '../l10n';

const phaseLabels: Record<RejectionRecord['phase'], string> = {
  get platform() {
    return t('platform check (phase 1)');
  },
  get validator() {
    return t('validator declined (phase 2)');
  },
  get unavailable() {
    return t('validator unavailable');
  },
};

function cell(text: string | undefined): string {
  return text ? escapeMarkdown(text).replace(/\n/g, ' ') : '—';
}

/** Per-endpoint counts computed from records (when the caller filters to one job). */
export function endpointSummaries(records: readonly RejectionRecord[]): EndpointRejections[] {
  const byEndpoint = new Map<string, EndpointRejections>();
  for (const r of records) {
    let s = byEndpoint.get(r.endpoint);
    if (!s) {
      s = {
        endpoint: r.endpoint,
        count: 0,
        firstTime: r.time,
        lastTime: r.time,
        lastCode: r.code,
        lastReason: r.reason,
        certificates: [],
        byPhase: {},
      };
      byEndpoint.set(r.endpoint, s);
    }
    s.count++;
    if (r.time < s.firstTime) s.firstTime = r.time;
    if (r.time >= s.lastTime) {
      s.lastTime = r.time;
      s.lastCode = r.code;
      s.lastReason = r.reason;
    }
    if (r.certSha256 && !s.certificates.includes(r.certSha256)) s.certificates.push(r.certSha256);
    s.byPhase[r.phase] = (s.byPhase[r.phase] ?? 0) + 1;
  }
  return [...byEndpoint.values()].sort((a, b) => b.count - a.count);
}

export function rejectionsMarkdown(
  title: string,
  endpoints: readonly EndpointRejections[],
  records: readonly RejectionRecord[],
  limit = 200,
): string {
  const out = [`# ${escapeMarkdown(title)}`, ''];
  if (endpoints.length === 0) {
    out.push(t('No certificate has been rejected.'), '');
    return out.join('\n');
  }
  out.push(
    t('## By server'),
    '',
    t('| Endpoint | Rejections | Certificates | First | Last | Last code | Last reason |'),
    '|---|---:|---:|---|---|---|---|',
    ...endpoints.map(
      (e) =>
        `| ${cell(e.endpoint)} | ${e.count} | ${e.certificates.length} | ${e.firstTime} | ${e.lastTime} | \`${formatCode(e.lastCode)}\` | ${cell(e.lastReason)} |`,
    ),
    '',
    records.length > limit ? t('## Latest attempts (newest {0} of {1})', limit, records.length) : t('## Latest attempts'),
    '',
  );
  for (const r of records.slice(-limit).reverse()) {
    out.push(
      `### ${r.time} · ${cell(r.endpoint)} · ${r.codeName}`,
      '',
      t('- Job: {0} (`{1}`)', cell(r.jobName ?? r.jobId), r.jobId) + (r.url ? ` · ${cell(r.url)}` : ''),
      t('- Check: {0} · code `{1}`', phaseLabels[r.phase], formatCode(r.code)),
      t('- Certificate: {0} · issued by {1}', cell(r.subject), cell(r.issuer)),
      ...(r.certSha256 ? [`- sha256: \`${r.certSha256}\``] : []),
      t('- Reason: {0}', cell(r.reason)),
      '',
    );
  }
  return out.join('\n');
}
