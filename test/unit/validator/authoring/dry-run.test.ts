// The dry run ("Test Certificate Validator on URL..." and `managed-downloads check-cert`) against real TLS
// servers: what it reports (the chain with fingerprints and pins, phase 1 with the flags, the validator's
// verdict, code, reason and time), that it sends no request byte, runtime errors with their .ts line,
// time-outs, compile errors, a proxy tunnel, and the CLI as a black box.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SecurityFlags } from '../../../../src/core/model/job';
import { TrustStore } from '../../../../src/core/tls/trust-store';
import { spkiSha256Base64 } from '../../../../src/core/tls/certificate-view';
import { dryRun } from '../../../../src/validator/authoring/dry-run';
import { dryRunMarkdown, dryRunText } from '../../../../src/validator/authoring/dry-run-format';
import { makeExpiredLeaf, makeLeaf } from '../../../support/certs';
import { runCli } from '../../../support/cli';
import { main } from '../../../../src/cli/main';
import type { CliIO } from '../../../../src/cli/outcome';
import { startTinyproxy, type TinyProxy } from '../../../support/proxy';
import { checkHost, makePki, startSniServer, tempDir, verdictOf, writeFiles, type Pki, type SniServer } from './fixtures';

let pki: Pki;
let server: SniServer;
const work = tempDir();

function validator(name: string, files: Record<string, string>): string {
  return writeFiles(join(work.dir, name), files);
}

before(async () => {
  pki = makePki();
  // Connections to an IP address send no SNI name and get this certificate, valid for both.
  server = await startSniServer({
    leaf: makeLeaf(pki.publicIntermediate, { hosts: ['downloads.example.com', '127.0.0.1'] }),
    chain: [pki.publicIntermediate],
  });
  server.serve('expired.example.com', {
    leaf: makeExpiredLeaf(pki.publicIntermediate, ['expired.example.com']),
    chain: [pki.publicIntermediate],
  });
});
after(async () => {
  await server.close();
  work.cleanup();
});

describe('dry run', () => {
  test('reports the chain the server sent (subject, issuer, validity, SANs, sha256, SPKI pin), the TLS version and phase 1; no request byte reaches the server', async () => {
    const bytesBefore = server.received();
    const report = await checkHost(server, pki, 'downloads.example.com');
    assert.equal(server.received(), bytesBefore, 'nothing written after the handshake');
    assert.equal(report.requestBytesSent, 0);
    // Leaf and intermediate as sent, then the root OpenSSL verified them to (Node adds the trusted root it found).
    assert.equal(report.chain.length, 3);
    const inter = new X509Certificate(pki.publicIntermediate.cert);
    assert.equal(report.chain[0].subject, 'CN=downloads.example.com, O=Managed Downloads Tests');
    assert.equal(report.chain[0].issuer, 'CN=Test Public Issuing CA, O=Managed Downloads Tests');
    assert.deepEqual(report.chain[0].subjectAltNames, ['downloads.example.com', '127.0.0.1']);
    assert.match(report.chain[0].validFrom, /^\d{4}-\d\d-\d\dT/);
    assert.equal(report.chain[1].sha256, inter.fingerprint256.replace(/:/g, '').toLowerCase());
    assert.equal(report.chain[1].spkiPin, `sha256/${spkiSha256Base64(inter)}`);
    assert.equal(report.chain[1].isCA, true);
    assert.match(report.protocol ?? '', /^TLSv1\.[23]$/);
    assert.deepEqual(report.phase1, { passed: true, failures: [], relaxed: [] });
    assert.deepEqual(report.validator, { status: 'none' });
    assert.equal(report.accepted, true);
  });

  test('phase 1 with the flags: a failure names its check and code and the validator is not called; the flag that relaxes it shows as relaxed', async () => {
    const file = validator('accept-all', { 'validator.ts': 'export default function validate() { return 0; }\n' });
    const refused = await checkHost(server, pki, 'expired.example.com', { validatorFile: file });
    assert.equal(refused.phase1.passed, false);
    assert.equal(refused.phase1.codeName, 'ERROR_WINHTTP_SECURE_CERT_DATE_INVALID');
    assert.deepEqual(
      refused.phase1.failures.map((f) => f.check),
      ['date'],
    );
    assert.equal(refused.validator.status, 'not-called');
    assert.equal(refused.accepted, false);
    const relaxed = await checkHost(server, pki, 'expired.example.com', {
      validatorFile: file,
      securityFlags: SecurityFlags.IGNORE_CERT_DATE_INVALID,
    });
    assert.equal(relaxed.securityFlags, '0x00000004');
    assert.deepEqual(relaxed.securityFlagNames, ['IGNORE_CERT_DATE_INVALID']);
    assert.equal(relaxed.phase1.passed, true);
    assert.deepEqual(
      relaxed.phase1.relaxed.map((f) => [f.check, f.codeName]),
      [['date', 'ERROR_WINHTTP_SECURE_CERT_DATE_INVALID']],
    );
    assert.equal(verdictOf(relaxed).verdict, 'accept');
    assert.equal(relaxed.accepted, true);
  });

  test("the validator's verdict, code, reason and time; what it logs; the input it got (phase1Relaxed, endpoint)", async () => {
    const file = validator('decline', {
      'validator.ts': `import { decline, log, type ValidationInput } from 'managed-downloads/validator';
export default function validate(input: ValidationInput) {
  log.info('checking ' + input.endpoint.host + ':' + input.endpoint.port + ' relaxed=' + JSON.stringify(input.phase1Relaxed));
  console.log('leaf', input.certificate.subjectCommonName);
  return decline('not on our list', 0x800b0109);
}
`,
    });
    const report = await checkHost(server, pki, 'expired.example.com', {
      validatorFile: file,
      securityFlags: SecurityFlags.IGNORE_CERT_DATE_INVALID,
    });
    const v = verdictOf(report);
    assert.equal(v.verdict, 'decline');
    assert.equal(v.code, '0x800b0109');
    assert.equal(report.validator.status === 'ran' && report.validator.codeName, 'CERT_E_UNTRUSTEDROOT');
    assert.equal(v.reason, 'not on our list');
    assert.ok(report.validator.status === 'ran' && report.validator.timeMs >= 0 && report.validator.loadMs > 0);
    assert.match(
      v.log,
      new RegExp(`\\[info\\] validator validator\\.ts: checking expired\\.example\\.com:${server.port} relaxed=\\["date"\\]`),
    );
    assert.match(v.log, /\[info\] validator validator\.ts: leaf expired\.example\.com/);
    assert.equal(report.accepted, false);
  });

  test('a throw is a decline whose reason, and log line, give the .ts file and line where it happened, also in an imported file', async () => {
    const file = validator('throws', {
      'validator.ts': `import type { ValidationInput } from 'managed-downloads/validator';
import { judge } from './policy';

export default function validate(input: ValidationInput) {
  if (input.endpoint.host === 'downloads.example.com') {
    throw new Error('no downloads today');
  }
  return judge(input);
}
`,
      'policy.ts': `import type { ValidationInput } from 'managed-downloads/validator';
// A comment so that the line numbers of the bundle and of this file differ.
export function judge(input: ValidationInput): number {
  const names = input.certificate.subjectAltNames;
  if (names.length > 0) throw new TypeError('judge: no rule for ' + input.endpoint.host);
  return 0;
}
`,
    });
    const own = verdictOf(await checkHost(server, pki, 'downloads.example.com', { validatorFile: file }));
    assert.equal(own.verdict, 'decline');
    assert.match(own.reason, new RegExp(`the validator threw: no downloads today \\(at ${file.replace(/[.]/g, '\\.')}:6:11\\)`));
    assert.match(
      own.log,
      new RegExp(
        `\\[error\\] validator validator\\.ts: validate\\(\\) threw for downloads\\.example\\.com:${server.port}: no downloads today \\(at .*validator\\.ts:6:11\\)`,
      ),
    );
    const imported = verdictOf(await checkHost(server, pki, '127.0.0.1', { validatorFile: file }));
    assert.match(imported.reason, /the validator threw: judge: no rule for 127\.0\.0\.1 \(at .*policy\.ts:5:31\)/);
  });

  test('a validator that does not answer in time: no verdict (INTERFACE_REQUIRED for a job), and the reason and the log say the file and line of the loop', async () => {
    const file = validator('hangs', { 'validator.ts': 'export default function validate() {\n  for (;;) {}\n}\n' });
    const report = await checkHost(server, pki, 'downloads.example.com', { validatorFile: file, timeLimitMs: 300 });
    const v = verdictOf(report);
    assert.equal(v.verdict, 'unavailable');
    assert.equal(report.validator.status === 'ran' && report.validator.codeName, 'BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED');
    assert.match(v.reason, new RegExp(`did not answer within 300 ms .*stuck at ${file.replace(/[.]/g, '\\.')}:2:3;`));
    assert.match(
      v.log,
      new RegExp(
        `\\[error\\] validator validator\\.ts: validate\\(\\) for downloads\\.example\\.com:${server.port} did not answer within 300 ms \\(stuck at ${file.replace(/[.]/g, '\\.')}:2:3\\)`,
      ),
    );
  });

  test('a validator that does not compile: the errors with file and line, and no verdict', async () => {
    const file = validator('broken', {
      'validator.ts':
        "import { S_OK } from 'managed-downloads/validator';\nimport { x } from './missing';\nexport default () => S_OK + x;\n",
    });
    const report = await checkHost(server, pki, 'downloads.example.com', { validatorFile: file });
    assert.equal(report.validator.status, 'compile-error');
    assert.match(
      report.validator.status === 'compile-error' ? report.validator.problems[0] : '',
      /validator\.ts:2:\d+: Could not resolve "\.\/missing"/,
    );
    assert.equal(report.accepted, false);
    assert.match(report.verdict, /does not compile/);
  });

  test('the Markdown and text views show the chain with its fingerprints, phase 1 and the verdict', async () => {
    const file = validator('md', {
      'validator.ts': "export default function validate() { return { code: 0x800b0109, reason: 'pin | mismatch' }; }\n",
    });
    const report = await checkHost(server, pki, 'downloads.example.com', { validatorFile: file });
    const md = dryRunMarkdown(report, work.dir);
    assert.match(md, /^# Certificate check: https:\/\/downloads\.example\.com:\d+\/artifact\.bin/);
    assert.match(md, /^\*\*Declined by the validator/m);
    assert.match(md, /\*\*no HTTP request was sent\*\*/);
    assert.match(md, /### 0 · CN=downloads\.example\.com, O=Managed Downloads Tests \(leaf\)/);
    assert.match(md, /### 1 · CN=Test Public Issuing CA, O=Managed Downloads Tests \(CA\)/);
    assert.ok(md.includes(`- **SPKI sha256 (pin):** \`${report.chain[0].spkiPin}\``));
    assert.ok(md.includes(`- **sha256:** \`${report.chain[1].sha256}\``));
    assert.match(md, /## Phase 1, the platform check: passed/);
    assert.match(md, /## Phase 2, the validator: declined/);
    assert.match(md, /- \*\*File:\*\* `md\/validator\.ts`/);
    assert.match(md, /- \*\*Code:\*\* `0x800b0109` CERT_E_UNTRUSTEDROOT/);
    assert.match(md, /- \*\*Reason:\*\* pin \\\| mismatch/);
    assert.match(md, /- \*\*Time taken:\*\* [\d.]+ ms/);
    const text = dryRunText(report);
    assert.match(text, /Declined by the validator/);
    assert.match(text, /\[1\] CN=Test Public Issuing CA/);
    assert.match(text, /spki {4}sha256\//);
    assert.match(text, /code {4}CERT_E_UNTRUSTEDROOT \(0x800b0109\)/);
  });

  test("through a real proxy (tinyproxy): a CONNECT tunnel, and the chain judged is the origin's", async () => {
    let proxy: TinyProxy | undefined;
    try {
      proxy = await startTinyproxy();
      const report = await dryRun({
        url: `https://127.0.0.1:${server.port}/x`,
        trust: new TrustStore({ includeDefaultRoots: false, extraCaPem: [pki.publicCa.cert] }),
        proxy: { proxy: proxy.urlWithCredentials, env: {} },
      });
      assert.match(report.proxy ?? '', /^http:\/\/127\.0\.0\.1:\d+/);
      assert.ok(!(report.proxy ?? '').includes(':secret') && !/\/\/[^/]*@/.test(report.proxy ?? ''), `credentials hidden: ${report.proxy}`);
      assert.equal(report.chain[0].subject, 'CN=downloads.example.com, O=Managed Downloads Tests');
      assert.equal(report.host, '127.0.0.1', 'the origin, not the proxy');
      assert.equal(report.accepted, true);
      assert.equal(
        proxy
          .log()
          .split('\n')
          .filter((l) => l.includes(`CONNECT 127.0.0.1:${server.port}`)).length,
        1,
      );
    } finally {
      await proxy?.stop();
    }
  });

  test('bad input: an http URL or no URL at all is refused before connecting, with what to write', async () => {
    await assert.rejects(
      dryRun({ url: 'http://example.com/', trust: new TrustStore({ includeDefaultRoots: false }) }),
      /not an https URL: only HTTPS servers present a certificate/,
    );
    await assert.rejects(dryRun({ url: 'downloads', trust: new TrustStore({ includeDefaultRoots: false }) }), /"downloads" is not a URL/);
  });
});

describe('managed-downloads check-cert', () => {
  test('exit 0 when both phases accept, 1 when the validator declines (JSON has the verdict and the chain) or phase 1 refuses', async () => {
    const caFile = join(work.dir, 'public-ca.pem');
    writeFileSync(caFile, pki.publicCa.cert);
    const env = { NODE_EXTRA_CA_CERTS: caFile };
    const url = `https://127.0.0.1:${server.port}/file.bin`;
    const accept = validator('cli-accept', {
      'validator.ts': "import { S_OK } from 'managed-downloads/validator';\nexport default () => S_OK;\n",
    });
    const ok = await runCli(['check-cert', url, '--validator', accept], env);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /Accepted by both phases/);
    assert.match(ok.stdout, /spki {4}sha256\//);

    const reject = validator('cli-decline', { 'validator.ts': "export default () => ({ code: 0x800b0109, reason: 'not pinned' });\n" });
    const no = await runCli(['check-cert', url, '--validator', reject, '--json'], env);
    assert.equal(no.code, 1, no.stderr);
    const json = JSON.parse(no.stdout);
    assert.equal(json.accepted, false);
    assert.equal(json.validator.verdict, 'decline');
    assert.equal(json.validator.code, '0x800b0109');
    assert.equal(json.validator.reason, 'not pinned');
    assert.ok(json.chain.length >= 2, 'leaf and intermediate (Node adds the root it trusts)');
    assert.equal(json.requestBytesSent, 0);

    const untrusted = await runCli(['check-cert', url, '--json']);
    assert.equal(untrusted.code, 1);
    assert.equal(JSON.parse(untrusted.stdout).phase1.codeName, 'ERROR_WINHTTP_SECURE_INVALID_CA');
  });

  test('in-process (same dispatcher, no child process): --security-flags, usage errors, an http URL, an unreachable server', async () => {
    const cli = async (args: string[]) => {
      let stdout = '';
      let stderr = '';
      const io = { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } } as unknown as CliIO;
      return { code: await main(args, io), stdout, stderr };
    };
    const url = `https://127.0.0.1:${server.port}/file.bin`;
    const flagged = await cli(['check-cert', url, '--security-flags', '0x8']);
    assert.equal(flagged.code, 0, flagged.stdout + flagged.stderr);
    assert.match(flagged.stdout, /relaxed: untrusted certificate authority/);
    const usage = await cli(['check-cert']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /check-cert needs exactly one https URL/);
    const badFlags = await cli(['check-cert', url, '--security-flags', 'eight']);
    assert.equal(badFlags.code, 2);
    assert.match(badFlags.stderr, /--security-flags needs a whole number/);
    const http = await cli(['check-cert', 'http://127.0.0.1:1/']);
    assert.equal(http.code, 2);
    assert.match(http.stderr, /BG_E_PROTOCOL_NOT_AVAILABLE/);
    const refused = await cli(['check-cert', 'https://127.0.0.1:1/', '--json']);
    assert.equal(refused.code, 1);
    assert.match(JSON.parse(refused.stdout).error.description, /Could not make a TLS connection to 127\.0\.0\.1:1/);
  });
});
