// The dry run's report for people: Markdown for the editor's view, plain text for the terminal.
import { relative, isAbsolute } from 'node:path';
import type { DryRunCertificate, DryRunCheck, DryRunReport, DryRunValidator } from './dry-run';

const CHECK_LABEL: Record<DryRunCheck['check'], string> = {
  chain: 'untrusted certificate authority',
  date: 'certificate date invalid',
  name: 'name does not match the host',
  usage: 'not for server authentication',
  revocation: 'revocation',
  strength: 'weak certificate (no flag relaxes this)',
  constraints: 'certificate constraint violated (no flag relaxes this)',
  platform: 'refused by OpenSSL (no flag relaxes this)',
};

function day(iso: string): string {
  return iso
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC')
    .replace(/Z$/, ' UTC');
}

function ms(n: number): string {
  return n < 10 ? `${n.toFixed(1)} ms` : `${Math.round(n)} ms`;
}

function shown(file: string, base?: string): string {
  if (!base || !isAbsolute(file)) return file;
  const rel = relative(base, file);
  return rel.startsWith('..') ? file : rel;
}

function flagsText(r: DryRunReport): string {
  return `${r.securityFlags}${r.securityFlagNames.length ? ` (${r.securityFlagNames.join(', ')})` : ''}`;
}

function validatorHeadline(v: DryRunValidator): string {
  switch (v.status) {
    case 'none':
      return 'none given';
    case 'blocked':
      return 'not run';
    case 'not-called':
      return 'not called';
    case 'compile-error':
      return 'does not compile';
    case 'load-error':
      return 'does not load';
    case 'ran':
      return v.verdict === 'accept' ? 'accepted' : v.verdict === 'decline' ? 'declined' : 'no answer';
  }
}

// ---- Markdown ----

function md(text: string): string {
  return text.replace(/([\\`*_[\]<>|])/g, '\\$1').replace(/\n/g, ' ');
}

function certificateMarkdown(c: DryRunCertificate, i: number, count: number): string[] {
  const role = i === 0 ? 'leaf' : c.isCA ? (i === count - 1 && c.subject === c.issuer ? 'root' : 'CA') : 'certificate';
  return [
    `### ${i} · ${md(c.subject)} (${role})`,
    '',
    `- **Issuer:** ${md(c.issuer)}`,
    `- **Valid:** ${day(c.validFrom)} to ${day(c.validTo)}`,
    `- **Names (SAN):** ${c.subjectAltNames.length ? c.subjectAltNames.map((n) => `\`${n}\``).join(', ') : 'none'}`,
    `- **sha256:** \`${c.sha256}\``,
    `- **SPKI sha256 (pin):** \`${c.spkiPin}\``,
    '',
  ];
}

export function dryRunMarkdown(r: DryRunReport, workspaceFolder?: string): string {
  const lines: string[] = [];
  lines.push(`# Certificate check: ${md(r.url)}`, '');
  lines.push(`**${md(r.verdict)}**`, '');
  lines.push(
    `Checked ${day(r.checkedAt)} · ${r.host}:${r.port}${r.proxy ? ` through the proxy ${md(r.proxy)}` : ''} · ${r.protocol ?? '?'}${r.cipher ? `, ${r.cipher}` : ''} · handshake ${ms(r.connectMs)} · **no HTTP request was sent** (TLS handshake only)`,
    '',
  );
  lines.push(`## The certificate chain (${r.chain.length} certificate${r.chain.length === 1 ? '' : 's'}, leaf first)`, '');
  r.chain.forEach((c, i) => lines.push(...certificateMarkdown(c, i, r.chain.length)));

  lines.push(`## Phase 1, the platform check: ${r.phase1.passed ? 'passed' : 'refused'}`, '');
  lines.push(`- **Security flags of the job:** \`${flagsText(r)}\``);
  if (!r.phase1.passed) {
    lines.push(`- **Code:** \`${r.phase1.code}\` ${r.phase1.codeName}`);
    for (const f of r.phase1.failures) lines.push(`- **Failed, ${CHECK_LABEL[f.check]}:** ${md(f.reason)}`);
  }
  for (const f of r.phase1.relaxed) lines.push(`- **Relaxed by the flags, ${CHECK_LABEL[f.check]}:** ${md(f.reason)}`);
  if (r.phase1.passed && r.phase1.relaxed.length === 0)
    lines.push('- Every check passed: chain to a trusted root, dates, host name, usage.');
  lines.push('');

  const v = r.validator;
  lines.push(`## Phase 2, the validator: ${validatorHeadline(v)}`, '');
  if (v.status === 'none') lines.push('- No validator file was given (setting `managedDownloads.certificateValidator`).');
  else lines.push(`- **File:** \`${shown(v.file, workspaceFolder)}\``);
  if (v.status === 'blocked' || v.status === 'not-called') lines.push(`- **Why:** ${md(v.reason)}`);
  if (v.status === 'compile-error') for (const p of v.problems) lines.push(`- **Error:** ${md(shown(p, workspaceFolder))}`);
  if (v.status === 'load-error') lines.push(`- **Error:** ${md(v.message)}`);
  if (v.status === 'ran') {
    lines.push(`- **Verdict:** ${validatorHeadline(v)}`);
    lines.push(`- **Code:** \`${v.code}\` ${v.codeName}`);
    if (v.reason) lines.push(`- **Reason:** ${md(v.reason)}`);
    lines.push(`- **Time taken:** ${ms(v.timeMs)} (compiled and loaded in ${ms(v.loadMs)})`);
  }
  lines.push('');
  if (r.validatorLog.length > 0) {
    lines.push('### What the validator logged', '', '```text', ...r.validatorLog.map((l) => `[${l.level}] ${l.message}`), '```', '');
  }
  return lines.join('\n');
}

// ---- Plain text ----

export function dryRunText(r: DryRunReport): string {
  const out: string[] = [];
  out.push(`${r.url}: ${r.verdict}`);
  out.push(
    `  ${r.host}:${r.port}${r.proxy ? ` through ${r.proxy}` : ''}, ${r.protocol ?? '?'}${r.cipher ? ` ${r.cipher}` : ''}, handshake ${ms(r.connectMs)}; no HTTP request sent`,
  );
  out.push('', 'Certificate chain (leaf first):');
  r.chain.forEach((c, i) => {
    out.push(`  [${i}] ${c.subject}`);
    out.push(`      issuer  ${c.issuer}`);
    out.push(`      valid   ${day(c.validFrom)} .. ${day(c.validTo)}`);
    out.push(`      names   ${c.subjectAltNames.join(', ') || 'none'}`);
    out.push(`      sha256  ${c.sha256}`);
    out.push(`      spki    ${c.spkiPin}`);
  });
  out.push(
    '',
    `Phase 1 (platform check, security flags ${flagsText(r)}): ${r.phase1.passed ? 'passed' : `refused, ${r.phase1.codeName} (${r.phase1.code})`}`,
  );
  for (const f of r.phase1.failures) out.push(`  failed:  ${CHECK_LABEL[f.check]}: ${f.reason}`);
  for (const f of r.phase1.relaxed) out.push(`  relaxed: ${CHECK_LABEL[f.check]}: ${f.reason}`);
  const v = r.validator;
  out.push('', `Phase 2 (validator${v.status === 'none' ? '' : ` ${v.file}`}): ${validatorHeadline(v)}`);
  if (v.status === 'blocked' || v.status === 'not-called') out.push(`  ${v.reason}`);
  if (v.status === 'compile-error') for (const p of v.problems) out.push(`  ${p}`);
  if (v.status === 'load-error') out.push(`  ${v.message}`);
  if (v.status === 'ran') {
    out.push(`  code    ${v.codeName} (${v.code})`);
    if (v.reason) out.push(`  reason  ${v.reason}`);
    out.push(`  time    ${ms(v.timeMs)} (compiled and loaded in ${ms(v.loadMs)})`);
  }
  for (const l of r.validatorLog) out.push(`  log     [${l.level}] ${l.message}`);
  return out.join('\n');
}
