// The file "Create Certificate Validator" writes: a working starting point with every kind of rule a team
// reaches for (pins with a backup and an expiry, a private CA for named hosts, a TLS-inspection root for
// named hosts, report-only), commented so that it explains itself. It loads and accepts as it stands:
// its pin set is report-only and the other rules wait for a certificate to be pasted in.
import { REFERENCE_LINE } from './declarations';

/** `YYYY-MM-DD` a year after `now`: the template's pin set expires then. */
function aYearFrom(now: Date): string {
  const d = new Date(now.getTime());
  d.setUTCFullYear(d.getUTCFullYear() + 1);
  return d.toISOString().slice(0, 10);
}

export function validatorTemplate(now = new Date()): string {
  return `${REFERENCE_LINE}
// Certificate validator for Managed Downloads: phase 2 of the server-certificate check.
//
// Every HTTPS connection of a download job is checked twice before a single request byte is sent:
//   1. the platform check: the chain and host name against the CAs VS Code trusts, relaxed only by the
//      job's security flags (0x2 name, 0x4 date, 0x8 unknown CA, 0x10 usage);
//   2. this file: its default export sees the chain the server sent and returns S_OK (0) to accept, or
//      { code, reason } to decline (the job waits in TRANSIENT_ERROR with your reason and retries later).
//
// Saving recompiles and reloads it, which clears every job's certificate cache. Compile errors show here;
// what it logs (log.info, console.log) and what it throws show in the "Managed Downloads" output.
// Try it without downloading anything: "Managed Downloads: Test Certificate Validator on URL...".
// On the command line (CI): managed-downloads get URL --validator <this file>
//                           managed-downloads check-cert URL --validator <this file>
import { certificatePolicy, inspectionRoot, pinSet, privateCa, type CertificateRule } from 'managed-downloads/validator';

const rules: CertificateRule[] = [];

// 1. Pin a host's public key, OkHttp / curl style ("sha256/" + base64 of the SPKI's sha256).
//    "Test Certificate Validator on URL..." shows the SPKI sha256 of every certificate a server sends.
//    - backupPins is required: a key you hold in reserve, so that rotating the server's key cannot lock
//      every client out;
//    - after expires the set stops applying (the log warns 30 days ahead), so a forgotten pin cannot
//      block the host for ever;
//    - reportOnly logs a mismatch, with the pins seen and expected, and accepts: watch the log, then
//      remove it to enforce.
//    Hosts: 'downloads.example.com' exactly, '*.example.com' one label, '**.example.com' any depth.
rules.push(
  pinSet({
    hosts: ['downloads.example.com'],
    pins: ['sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='],
    backupPins: ['sha256/BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB='],
    expires: '${aYearFrom(now)}',
    reportOnly: true,
  }),
);

// 2. A private CA, trusted for named hosts only. Paste its certificate (PEM) between the backquotes.
//    Jobs for these hosts need the security flag 0x8 (allow unknown CA) so that the platform check lets
//    the chain through to this rule; a host no rule vouches for is still declined when its CA is unknown.
const CORP_CA_PEM = \`\`;
if (CORP_CA_PEM.trim()) rules.push(privateCa({ hosts: ['**.corp.example'], roots: [CORP_CA_PEM] }));

// 3. A corporate TLS-inspection root, accepted only for the hosts it may intercept: a connection to any
//    other host that arrives re-signed by it is declined, even when the root is in the system's store.
const INSPECTION_ROOT_PEM = \`\`;
if (INSPECTION_ROOT_PEM.trim()) rules.push(inspectionRoot({ hosts: ['artifacts.corp.example'], roots: [INSPECTION_ROOT_PEM] }));

export default certificatePolicy({
  rules,
  // A rollout: true logs every decline ("[report-only] would decline ...") and accepts everything.
  reportOnly: false,
});
`;
}
