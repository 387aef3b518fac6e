// Pin sets (pinSet in `managed-downloads/validator`) in validator files run by the worker, against a real
// TLS server: which pins match, host patterns, the required backup pin, expiry, report-only, and the
// failure reason that lists the pins seen and expected.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { CertErrors } from '../../../../src/validator/helpers/chain';
import { pinSet } from '../../../../src/validator/helpers/pins';
import type { Pin } from '../../../../src/validator/managed-downloads-validator';
import { ErrorContext } from '../../../../src/core/errors';
import { makeLeaf } from '../../../support/certs';
import { fakeJob, get, startRecordingServer } from '../../core/tls/helpers';
import { makeGate } from '../fixtures';
import {
  chainFor,
  checkHost,
  makePki,
  pinOf,
  startSniServer,
  strangerPin,
  tempDir,
  verdictOf,
  writeFiles,
  type Pki,
  type ServedChain,
  type SniServer,
} from './fixtures';
import { typecheck } from './typecheck';
import { ambientDeclarations, DECLARATIONS_FILE, REFERENCE_LINE } from '../../../../src/validator/authoring/declarations';

const UNTRUSTED_ROOT = `0x${CertErrors.CERT_E_UNTRUSTEDROOT.toString(16)}`;
let pki: Pki;
let server: SniServer;
let served: ServedChain;
const work = tempDir();

function day(offsetDays: number): string {
  return new Date(Date.now() + offsetDays * 24 * 3600 * 1000).toISOString().slice(0, 10);
}

/** A validator file with the declarations beside it, as Create Certificate Validator makes them. */
function validator(name: string, body: string): string {
  return writeFiles(join(work.dir, name), {
    'validator.ts': `${REFERENCE_LINE}\nimport { certificatePolicy, pinSet } from 'managed-downloads/validator';\n${body}\n`,
    [DECLARATIONS_FILE]: ambientDeclarations(),
  });
}

before(async () => {
  pki = makePki();
  served = chainFor('downloads.example.com', pki.publicCa, [pki.publicIntermediate]);
  server = await startSniServer(served);
  for (const host of ['rotated.example.com', 'cdn.example', 'a.cdn.example', 'b.a.cdn.example'])
    server.serve(host, { leaf: makeLeaf(pki.publicIntermediate, { hosts: [host] }), chain: [pki.publicIntermediate] });
  server.serve('downloads.example.com', served);
});
after(async () => {
  await server.close();
  work.cleanup();
});

describe('pin sets against a real TLS server', () => {
  test("a pin of the leaf's or the intermediate's key, or a backup pin, accepts; no request byte is sent", async () => {
    const file = validator(
      'match',
      `export default certificatePolicy({ rules: [
  pinSet({ hosts: ['downloads.example.com'], pins: ['${pinOf(served.leaf)}'], backupPins: ['${strangerPin(1)}'] }),
  pinSet({ hosts: ['rotated.example.com'], pins: ['${strangerPin(2)}'], backupPins: ['${pinOf(pki.publicIntermediate)}'] }),
] });`,
    );
    const before = server.received();
    for (const host of ['downloads.example.com', 'rotated.example.com']) {
      const report = await checkHost(server, pki, host, { validatorFile: file });
      assert.equal(verdictOf(report).verdict, 'accept', `${host}: ${JSON.stringify(report.validator)}`);
      assert.equal(report.accepted, true);
    }
    assert.equal(server.received(), before, 'the dry run wrote no byte after the handshake');
  });

  test('a mismatch declines with CERT_E_UNTRUSTEDROOT; the reason lists the pins seen (each certificate) and the pins expected, backup marked', async () => {
    const file = validator(
      'mismatch',
      `export default certificatePolicy({ rules: [pinSet({ hosts: ['downloads.example.com'], pins: ['${strangerPin(3)}'], backupPins: ['${strangerPin(4)}'] })] });`,
    );
    const report = await checkHost(server, pki, 'downloads.example.com', { validatorFile: file });
    const v = verdictOf(report);
    assert.equal(v.verdict, 'decline');
    assert.equal(v.code, UNTRUSTED_ROOT);
    assert.equal(report.accepted, false);
    assert.match(v.reason, /certificate pinning failure for downloads\.example\.com:\d+/);
    assert.ok(v.reason.includes(`${pinOf(served.leaf)} (CN=downloads.example.com`), v.reason);
    assert.ok(v.reason.includes(`${pinOf(pki.publicIntermediate)} (CN=Test Public Issuing CA`), v.reason);
    assert.ok(v.reason.includes(`${strangerPin(3)}, ${strangerPin(4)} (backup)`), v.reason);
  });

  test("host patterns: exact, '*.' one label, '**.' any depth including the base; other hosts are not pinned", async () => {
    const wrong = `pins: ['${strangerPin(5)}'], backupPins: ['${strangerPin(6)}']`;
    const oneLabel = validator(
      'one-label',
      `export default certificatePolicy({ rules: [pinSet({ hosts: ['*.cdn.example'], ${wrong} })] });`,
    );
    const anyDepth = validator(
      'any-depth',
      `export default certificatePolicy({ rules: [pinSet({ hosts: ['**.cdn.example'], ${wrong} })] });`,
    );
    const exact = validator('exact', `export default certificatePolicy({ rules: [pinSet({ hosts: ['cdn.example'], ${wrong} })] });`);
    const expectations: [string, string, 'accept' | 'decline'][] = [
      [oneLabel, 'a.cdn.example', 'decline'],
      [oneLabel, 'cdn.example', 'accept'],
      [oneLabel, 'b.a.cdn.example', 'accept'],
      [anyDepth, 'cdn.example', 'decline'],
      [anyDepth, 'a.cdn.example', 'decline'],
      [anyDepth, 'b.a.cdn.example', 'decline'],
      [exact, 'cdn.example', 'decline'],
      [exact, 'a.cdn.example', 'accept'],
      [exact, 'downloads.example.com', 'accept'],
    ];
    for (const [file, host, expected] of expectations) {
      const report = await checkHost(server, pki, host, { validatorFile: file });
      assert.equal(verdictOf(report).verdict, expected, `${host} with ${file}`);
    }
  });

  test('a pin set without a backup pin does not load: the error says why and points at the pinSet call; TypeScript flags it in the editor too', async () => {
    const file = validator(
      'no-backup',
      `const pins = ['${pinOf(served.leaf)}'] as const;
// The backup pin is missing below.
export default certificatePolicy({ rules: [pinSet({ hosts: ['downloads.example.com'], pins } as never)] });`,
    );
    const report = await checkHost(server, pki, 'downloads.example.com', { validatorFile: file });
    assert.equal(report.validator.status, 'load-error');
    assert.equal(report.accepted, false);
    const message = report.validator.status === 'load-error' ? report.validator.message : '';
    assert.match(message, /has no backup pin\. Add backupPins/);
    assert.match(message, /validator\.ts:5:\d+\)$/, 'the place of the pinSet call (line 5 of the file)');

    const typed = validator(
      'no-backup-typed',
      `export default certificatePolicy({ rules: [pinSet({ hosts: ['downloads.example.com'], pins: ['${pinOf(served.leaf)}'] })] });`,
    );
    const problems = typecheck([typed]);
    assert.equal(problems.length, 1, JSON.stringify(problems));
    assert.match(problems[0].message, /Property 'backupPins' is missing/);
    assert.equal(problems[0].line, 3);
  });

  test('malformed pins, a backup that is also a pin, bad host patterns and bad dates are refused when the set is made, each with a message that says what to write', () => {
    // In-process: the same pinSet the worker hands to validators (the test above shows such a throw reaching the editor).
    const pin = pinOf(served.leaf) as Pin;
    const base = { hosts: ['downloads.example.com'], pins: [pin] as [Pin], backupPins: [strangerPin(1) as Pin] as [Pin] };
    assert.throws(() => pinSet({ ...base, pins: ['sha1/abc' as Pin] }), /"sha1\/abc" is not an SPKI pin\. A pin is "sha256\/".*check-cert/);
    assert.throws(() => pinSet({ ...base, pins: ['sha256/tooShort=' as Pin] }), /is not an SPKI pin/);
    assert.throws(() => pinSet({ ...base, backupPins: [pin] }), /backup pin .* is also a pin/);
    assert.throws(() => pinSet({ ...base, backupPins: [] as unknown as [Pin] }), /has no backup pin/);
    assert.throws(() => pinSet({ ...base, expires: '2026-02-30' }), /expires "2026-02-30" is not a date; write it as 'YYYY-MM-DD'/);
    assert.throws(() => pinSet({ ...base, expires: 'soon' }), /expires "soon" is not a date/);
    for (const pattern of ['a.*.example', '*', 'x*.example', '***.example', '']) {
      assert.throws(
        () => pinSet({ ...base, hosts: [pattern] }),
        (e: Error) => e.name === 'ValidatorConfigError' && /is not a host pattern\. Use a host name/.test(e.message),
        pattern,
      );
    }
    assert.throws(() => pinSet({ ...base, hosts: [] }), /give the hosts it applies to/);
    const set = pinSet({ ...base, expires: '2030-01-31' });
    assert.equal(set.expires?.toISOString(), '2030-01-31T23:59:59.999Z', 'a date-only expiry covers that whole day (UTC)');
    assert.equal(set.isActive(new Date('2030-01-31T23:00:00Z')), true);
    assert.equal(set.isActive(new Date('2030-02-01T00:00:00Z')), false);
  });

  test('expiry: an expired set no longer applies and says so in the log; one expiring within 30 days applies and warns; a distant one is silent', async () => {
    const wrong = `pins: ['${strangerPin(8)}'], backupPins: ['${strangerPin(9)}']`;
    const expired = validator(
      'expired',
      `export default certificatePolicy({ rules: [pinSet({ hosts: ['downloads.example.com'], ${wrong}, expires: '${day(-2)}' })] });`,
    );
    let report = await checkHost(server, pki, 'downloads.example.com', { validatorFile: expired });
    let v = verdictOf(report);
    assert.equal(v.verdict, 'accept', 'the expired set does not pin the host any more');
    assert.match(
      v.log,
      new RegExp(`\\[warn\\] validator validator\\.ts: pin set for downloads\\.example\\.com expired on ${day(-2)} and no longer applies`),
    );

    const soon = validator(
      'soon',
      `export default certificatePolicy({ rules: [pinSet({ hosts: ['downloads.example.com'], ${wrong}, expires: '${day(10)}' })] });`,
    );
    report = await checkHost(server, pki, 'downloads.example.com', { validatorFile: soon });
    v = verdictOf(report);
    assert.equal(v.verdict, 'decline', 'a set that has not expired still applies');
    assert.match(
      v.log,
      new RegExp(`\\[warn\\] validator validator\\.ts: pin set for downloads\\.example\\.com expires in (10|11) day\\(s\\), on ${day(10)}`),
    );

    const later = validator(
      'later',
      `export default certificatePolicy({ rules: [pinSet({ hosts: ['downloads.example.com'], pins: ['${pinOf(served.leaf)}'], backupPins: ['${strangerPin(9)}'], expires: '${day(200)}' })] });`,
    );
    report = await checkHost(server, pki, 'downloads.example.com', { validatorFile: later });
    v = verdictOf(report);
    assert.equal(v.verdict, 'accept');
    assert.equal(v.log, '', 'nothing to warn about');
  });

  test('report-only: a mismatch is logged with the pins seen and expected, and accepted; a match is logged as such', async () => {
    const file = validator(
      'report-only',
      `export default certificatePolicy({ rules: [
  pinSet({ hosts: ['downloads.example.com'], pins: ['${strangerPin(10)}'], backupPins: ['${strangerPin(11)}'], reportOnly: true }),
  pinSet({ hosts: ['a.cdn.example'], pins: ['${pinOf(pki.publicIntermediate)}'], backupPins: ['${strangerPin(11)}'], reportOnly: true }),
] });`,
    );
    let report = await checkHost(server, pki, 'downloads.example.com', { validatorFile: file });
    let v = verdictOf(report);
    assert.equal(v.verdict, 'accept');
    assert.match(
      v.log,
      /\[warn\] validator validator\.ts: \[report-only\] pin set for downloads\.example\.com would decline downloads\.example\.com:\d+ \(0x800b0109\): certificate pinning failure/,
    );
    assert.ok(v.log.includes(pinOf(served.leaf)) && v.log.includes(strangerPin(10)), v.log);
    report = await checkHost(server, pki, 'a.cdn.example', { validatorFile: file });
    v = verdictOf(report);
    assert.equal(v.verdict, 'accept');
    assert.match(v.log, /\[info\] validator validator\.ts: \[report-only\] pin set for a\.cdn\.example: a\.cdn\.example:\d+ matches a pin/);
  });

  test("through the job's own gate: a pinning failure is TRANSIENT_ERROR material (context 8, CERT_E_UNTRUSTEDROOT) with the pins in the message, and no request byte reaches the server", async () => {
    const leaf = makeLeaf(pki.publicIntermediate, { hosts: ['127.0.0.1'] });
    const tlsServer = await startRecordingServer(leaf.cert, leaf.key, { chain: [pki.publicIntermediate.cert] });
    const gate = makeGate(pki.publicCa.cert);
    try {
      const file = validator(
        'gate',
        `export default certificatePolicy({ rules: [pinSet({ hosts: ['127.0.0.1'], pins: ['${strangerPin(12)}'], backupPins: ['${strangerPin(13)}'] })] });`,
      );
      assert.equal((await gate.controller.configure({ file, trusted: true })).status, 'loaded');
      const job = fakeJob({ validator: 'workspace' });
      const answer = await get(gate.provider.agentFor(job, 'https:'), `https://127.0.0.1:${tlsServer.port}/`, job.id);
      assert.equal(answer.error?.code, CertErrors.CERT_E_UNTRUSTEDROOT);
      assert.equal(answer.error?.context, ErrorContext.SERVER_CERTIFICATE_CALLBACK);
      assert.equal(answer.error?.transient, true);
      assert.ok(
        answer.error?.message.includes(pinOf(leaf)) && answer.error?.message.includes(`${strangerPin(13)} (backup)`),
        answer.error?.message,
      );
      assert.equal(tlsServer.received().length, 0);
      assert.equal(gate.service.rejections.entries()[0].phase, 'validator');
    } finally {
      await gate.dispose();
      await tlsServer.close();
    }
  });
});
