// `managed-downloads rejections --store DIR [--json]`: the certificate rejection log of a store, per
// endpoint (so a one-off and a flood look different) and the latest attempts.
import { existsSync } from 'node:fs';
import { formatCode } from '../core/errors';
import { RejectionLog, type EndpointRejections, type RejectionRecord } from '../core/tls/rejection-log';
import { rejectionLogPath } from '../validator/cli-gate';

export interface RejectionsReport {
  file: string;
  endpoints: EndpointRejections[];
  /** Newest last. */
  recent: RejectionRecord[];
}

export function readRejections(storeDir: string, recent = 20): RejectionsReport {
  const file = rejectionLogPath(storeDir);
  const log = new RejectionLog({ file: existsSync(file) ? file : undefined });
  return { file, endpoints: log.endpoints(), recent: log.entries().slice(-recent) };
}

export function formatRejections(report: RejectionsReport): string {
  if (report.endpoints.length === 0) return `No certificate rejections recorded (${report.file}).`;
  const lines = [`Certificate rejections by endpoint (${report.file}):`];
  for (const e of report.endpoints) {
    const phases = Object.entries(e.byPhase)
      .map(([phase, n]) => `${phase} ${n}`)
      .join(', ');
    lines.push(
      `  ${String(e.count).padStart(6)}  ${e.endpoint}  (${phases}; ${e.certificates.length} distinct certificate(s); ${e.firstTime} .. ${e.lastTime})`,
    );
    lines.push(`          last: ${formatCode(e.lastCode)} ${e.lastReason}`);
  }
  lines.push('', `Latest ${report.recent.length}:`);
  for (const r of report.recent) {
    lines.push(
      `  ${r.time}  job ${r.jobId}${r.fileIndex !== undefined ? ` file ${r.fileIndex}` : ''}  ${r.endpoint}  ${r.codeName} (${formatCode(r.code)})`,
    );
    if (r.certSha256) lines.push(`      certificate sha256 ${r.certSha256}  subject ${r.subject ?? '?'}  issuer ${r.issuer ?? '?'}`);
    lines.push(`      ${r.reason}`);
  }
  return lines.join('\n');
}

/** Runs the command; returns the exit code. */
export function rejectionsCommand(storeDir: string, json: boolean, write: (text: string) => void): number {
  const report = readRejections(storeDir);
  write(json ? JSON.stringify(report, null, 2) : formatRejections(report));
  return 0;
}
