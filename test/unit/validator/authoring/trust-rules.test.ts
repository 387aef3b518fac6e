// privateCa, inspectionRoot and certificatePolicy in validator files run by the worker, against a real TLS
// server that answers each host name with its own chain: a private CA trusted for named hosts only, a
// TLS-inspection root accepted only for named hosts, report-only rollouts, and hosts no rule vouches for.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SecurityFlags } from '../../../../src/core/model/job';
import { ambientDeclarations, DECLARATIONS_FILE, REFERENCE_LINE } from '../../../../src/validator/authoring/declarations';
import { hostMatches } from '../../../../src/validator/helpers/host-patterns';
import { makeCA, makeExpiredLeaf, makeLeaf } from '../../../support/certs';
import { chainFor, checkHost, makePki, startSniServer, tempDir, verdictOf, writeFiles, type Pki, type SniServer } from './fixtures';

let pki: Pki;
let server: SniServer;
const work = tempDir();
const ALLOW_UNKNOWN_CA = SecurityFlags.IGNORE_UNKNOWN_CA;

function validator(name: string, body: string, files: Record<string, string> = {}): string {
  return writeFiles(join(work.dir, name), {
    'validator.ts': `${REFERENCE_LINE}\nimport { certificatePolicy, privateCa, inspectionRoot, pinSet } from 'managed-downloads/validator';\nvoid pinSet;\n${body}\n`,
    [DECLARATIONS_FILE]: ambientDeclarations(),
    ...files,
  });
}

before(async () => {
  pki = makePki();
  server = await startSniServer(chainFor('public.example', pki.publicCa, [pki.publicIntermediate]));
  server.serve('build.corp.example', chainFor('build.corp.example', pki.corpCa));
  server.serve('deep.build.corp.example', chainFor('deep.build.corp.example', pki.corpCa));
  server.serve('stranger.example', chainFor('stranger.example', makeCA('Someone Else CA')));
  server.serve('misnamed.corp.example', { leaf: makeLeaf(pki.corpCa, { hosts: ['other.corp.example'] }), chain: [] });
  server.serve('expired.corp.example', { leaf: makeExpiredLeaf(pki.corpCa, ['expired.corp.example']), chain: [] });
  // Behind the corporate proxy, these two arrive re-signed by the inspection root.
  server.serve('artifacts.vendor.example', chainFor('artifacts.vendor.example', pki.inspectionCa));
  server.serve('bank.example', chainFor('bank.example', pki.inspectionCa));
});
after(async () => {
  await server.close();
  work.cleanup();
});

describe('host patterns', () => {
  test("OkHttp's rules: exact, '*.' exactly one label, '**.' any number including none; case and a trailing dot do not matter", () => {
    assert.equal(hostMatches('Example.COM', 'example.com.'), true);
    assert.equal(hostMatches('example.com', 'a.example.com'), false);
    assert.equal(hostMatches('*.example.com', 'a.example.com'), true);
    assert.equal(hostMatches('*.example.com', 'example.com'), false);
    assert.equal(hostMatches('*.example.com', 'a.b.example.com'), false);
    assert.equal(hostMatches('**.example.com', 'example.com'), true);
    assert.equal(hostMatches('**.example.com', 'a.b.example.com'), true);
    assert.equal(hostMatches('**.example.com', 'badexample.com'), false);
    assert.equal(hostMatches('127.0.0.1', '127.0.0.1'), true);
    assert.equal(hostMatches('::1', '[::1]'), true);
    for (const bad of ['*', '**', 'a.*.com', 'x*.com', '*.127.0.0.1', 'exa mple.com', ''])
      assert.throws(() => hostMatches(bad, 'a.com'), /is not a host pattern/, bad);
  });
});

describe('private CA for named hosts', () => {
  test('with the job allowing unknown CAs (0x8), the named hosts are vouched for by the private CA; phase 1 reports what it relaxed', async () => {
    const file = validator('corp', '', { 'corp-ca.pem': pki.corpCa.cert });
    writeFiles(join(work.dir, 'corp'), {
      'validator.ts': `${REFERENCE_LINE}\nimport { certificatePolicy, privateCa } from 'managed-downloads/validator';\nimport CORP_CA from './corp-ca.pem';\nexport default certificatePolicy({ rules: [privateCa({ hosts: ['**.corp.example'], roots: [CORP_CA] })] });\n`,
    });
    for (const host of ['build.corp.example', 'deep.build.corp.example']) {
      const report = await checkHost(server, pki, host, { validatorFile: file, securityFlags: ALLOW_UNKNOWN_CA });
      assert.equal(report.phase1.passed, true);
      assert.deepEqual(
        report.phase1.relaxed.map((r) => r.check),
        ['chain'],
      );
      assert.equal(verdictOf(report).verdict, 'accept', host);
      assert.equal(report.accepted, true);
    }
    // Public hosts pass phase 1 outright and are not the private CA's business.
    assert.equal(
      verdictOf(await checkHost(server, pki, 'public.example', { validatorFile: file, securityFlags: ALLOW_UNKNOWN_CA })).verdict,
      'accept',
    );
  });

  test('a host no rule vouches for, let through phase 1 only by 0x8, is declined: the unknown CA is trusted for the named hosts only', async () => {
    const file = validator(
      'corp-only',
      `import CORP_CA from './corp-ca.pem';\nexport default certificatePolicy({ rules: [privateCa({ hosts: ['*.corp.example'], roots: [CORP_CA] })] });`,
      { 'corp-ca.pem': pki.corpCa.cert },
    );
    const v = verdictOf(await checkHost(server, pki, 'stranger.example', { validatorFile: file, securityFlags: ALLOW_UNKNOWN_CA }));
    assert.equal(v.verdict, 'decline');
    assert.equal(v.code, '0x800b0109');
    assert.match(
      v.reason,
      /stranger\.example:\d+ has a certificate from an unknown CA \('CN=Someone Else CA.*only because the job allows unknown CAs \(security flag 0x8\), and no rule of this validator vouches for this host/,
    );
  });

  test("the private CA's hosts must still have a valid chain: another CA, a wrong name or an expired leaf is declined with its CERT_E code", async () => {
    const other = makeCA('Not The Corp CA');
    const file = validator(
      'corp-strict',
      `import CORP_CA from './corp-ca.pem';\nexport default certificatePolicy({ rules: [privateCa({ hosts: ['*.corp.example'], roots: [CORP_CA] })] });`,
      { 'corp-ca.pem': pki.corpCa.cert },
    );
    const wrongCa = validator(
      'corp-wrong-root',
      `import OTHER from './other-ca.pem';\nexport default certificatePolicy({ rules: [privateCa({ hosts: ['*.corp.example'], roots: [OTHER] })] });`,
      { 'other-ca.pem': other.cert },
    );
    const cases: [string, string, string, RegExp][] = [
      [
        wrongCa,
        'build.corp.example',
        '0x800b0109',
        /private CA for \*\.corp\.example: build\.corp\.example:\d+ is not vouched for by CN=Not The Corp CA.*no trusted issuer/,
      ],
      [file, 'misnamed.corp.example', '0x800b010f', /not vouched for by CN=Corp Example Root CA.*misnamed\.corp\.example/],
      [file, 'expired.corp.example', '0x800b0101', /expired on/],
    ];
    for (const [validatorFile, host, code, reason] of cases) {
      const v = verdictOf(
        await checkHost(server, pki, host, {
          validatorFile,
          securityFlags: ALLOW_UNKNOWN_CA | SecurityFlags.IGNORE_CERT_CN_INVALID | SecurityFlags.IGNORE_CERT_DATE_INVALID,
        }),
      );
      assert.equal(v.verdict, 'decline', host);
      assert.equal(v.code, code, host);
      assert.match(v.reason, reason);
    }
  });

  test('without 0x8 the private chain fails phase 1 and never reaches the validator', async () => {
    const file = validator(
      'corp-no-flag',
      `import CORP_CA from './corp-ca.pem';\nexport default certificatePolicy({ rules: [privateCa({ hosts: ['*.corp.example'], roots: [CORP_CA] })] });`,
      { 'corp-ca.pem': pki.corpCa.cert },
    );
    const report = await checkHost(server, pki, 'build.corp.example', { validatorFile: file });
    assert.equal(report.phase1.passed, false);
    assert.equal(report.phase1.codeName, 'ERROR_WINHTTP_SECURE_INVALID_CA');
    assert.equal(report.validator.status, 'not-called');
    assert.equal(report.accepted, false);
  });

  test('roots that hold no certificate, or no hosts, do not load, with a message that says what to give', async () => {
    for (const [body, expected] of [
      [
        "export default certificatePolicy({ rules: [privateCa({ hosts: ['*.corp.example'], roots: ['paste it here'] })] });",
        /roots holds no certificate/,
      ],
      ['export default certificatePolicy({ rules: [privateCa({ hosts: [], roots: [] })] });', /give the hosts it applies to/],
      ["export default certificatePolicy({ rules: [{ name: 'x' } as never] });", /rules\[0\] is not a rule/],
    ] as const) {
      const report = await checkHost(server, pki, 'build.corp.example', {
        validatorFile: validator(`bad-${Math.random().toString(36).slice(2)}`, body),
        securityFlags: ALLOW_UNKNOWN_CA,
      });
      assert.equal(report.validator.status, 'load-error');
      assert.match(report.validator.status === 'load-error' ? report.validator.message : '', expected);
    }
  });
});

describe('TLS-inspection root for named hosts only', () => {
  test('re-signed by the inspection root: accepted for a named host, declined for any other; untouched chains are left alone', async () => {
    // The corporate setup: the inspection root is in the trust store (so phase 1 passes for every host).
    const file = validator(
      'inspection',
      `import ROOT from './inspection.pem';\nexport default certificatePolicy({ rules: [inspectionRoot({ hosts: ['artifacts.vendor.example'], roots: [ROOT] })] });`,
      { 'inspection.pem': pki.inspectionCa.cert },
    );
    const trustedPki = { ...pki, publicCa: { ...pki.publicCa, cert: pki.publicCa.cert + pki.inspectionCa.cert } };
    const named = await checkHost(server, trustedPki, 'artifacts.vendor.example', { validatorFile: file });
    assert.equal(named.phase1.passed, true);
    assert.equal(verdictOf(named).verdict, 'accept');
    const other = verdictOf(await checkHost(server, trustedPki, 'bank.example', { validatorFile: file }));
    assert.equal(other.verdict, 'decline');
    assert.equal(other.code, '0x800b0109');
    assert.match(
      other.reason,
      /the connection to bank\.example:\d+ is intercepted: its certificate was issued by the TLS-inspection root 'CN=Corp TLS Inspection Root.*which this validator accepts only for artifacts\.vendor\.example/,
    );
    assert.equal(verdictOf(await checkHost(server, trustedPki, 'public.example', { validatorFile: file })).verdict, 'accept');
  });

  test('with the root not in the trust store, 0x8 lets the named host through (the rule vouches) and nothing else', async () => {
    const file = validator(
      'inspection-untrusted',
      `import ROOT from './inspection.pem';\nexport default certificatePolicy({ rules: [inspectionRoot({ hosts: ['artifacts.vendor.example'], roots: [ROOT] })] });`,
      { 'inspection.pem': pki.inspectionCa.cert },
    );
    assert.equal(
      verdictOf(await checkHost(server, pki, 'artifacts.vendor.example', { validatorFile: file, securityFlags: ALLOW_UNKNOWN_CA })).verdict,
      'accept',
    );
    assert.equal(
      verdictOf(await checkHost(server, pki, 'bank.example', { validatorFile: file, securityFlags: ALLOW_UNKNOWN_CA })).verdict,
      'decline',
    );
    assert.equal(
      verdictOf(await checkHost(server, pki, 'stranger.example', { validatorFile: file, securityFlags: ALLOW_UNKNOWN_CA })).verdict,
      'decline',
    );
  });
});

describe('report-only rollout of a whole policy', () => {
  test('every decline is logged as "would decline" with its reason, and accepted', async () => {
    const file = validator(
      'rollout',
      `import ROOT from './inspection.pem';\nexport default certificatePolicy({ reportOnly: true, rules: [inspectionRoot({ hosts: ['artifacts.vendor.example'], roots: [ROOT] })] });`,
      { 'inspection.pem': pki.inspectionCa.cert },
    );
    for (const host of ['bank.example', 'stranger.example']) {
      const report = await checkHost(server, pki, host, { validatorFile: file, securityFlags: ALLOW_UNKNOWN_CA });
      const v = verdictOf(report);
      assert.equal(v.verdict, 'accept', host);
      assert.match(
        v.log,
        new RegExp(
          `\\[warn\\] validator validator\\.ts: \\[report-only\\] would decline ${host.replace(/\./g, '\\.')}:\\d+ \\(0x800b0109\\): `,
        ),
      );
    }
  });
});
