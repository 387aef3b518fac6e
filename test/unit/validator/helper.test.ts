// The helper module validators import (`managed-downloads/validator`): the seed's steps 1-7 and pins,
// in-process and from a validator file running in the worker against a real TLS server.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';
import { makeCA, makeExpiredLeaf, makeIntermediate, makeLeaf, type Issued } from '../../support/certs';
import * as helper from '../../../src/validator/helper';
import { buildValidationInput } from '../../../src/core/tls/validation-input';
import { spkiSha256Base64 } from '../../../src/core/tls/certificate-view';
import { fakeJob, get, startRecordingServer, type RecordingServer } from '../core/tls/helpers';
import { makeGate, tempWorkspace } from './fixtures';

let ca: Issued;
let inter: Issued;

function inputFor(leaf: Issued, chain: Issued[] = [], host = '127.0.0.1') {
  return buildValidationInput(
    fakeJob(),
    0,
    host,
    443,
    [leaf, ...chain].map((c) => new X509Certificate(c.cert)),
  );
}

before(() => {
  ca = makeCA();
  inter = makeIntermediate(ca);
});

describe('validator helper: steps 1-7', () => {
  test('steps 1-3: the leaf and the store open; certStoreData is a standard PKCS#7 bag (node-forge reads it)', () => {
    const leaf = makeLeaf(inter, { hosts: ['127.0.0.1'] });
    const input = inputFor(leaf, [inter]);
    assert.equal(input.certEncodingType, 0x10001);
    assert.equal(input.certLength, input.certData.byteLength);
    assert.equal(input.certStoreLength, input.certStoreData.byteLength);
    assert.equal(helper.parseCertificate(input.certData).sha256, input.certificate.sha256);
    const store = helper.openStore(input.certStoreData);
    assert.equal(store.length, 2);
    assert.deepEqual(Buffer.from(store[1]), new X509Certificate(inter.cert).raw);
    const p7 = forge.pkcs7.messageFromAsn1(
      forge.asn1.fromDer(forge.util.createBuffer(Buffer.from(input.certStoreData).toString('binary'))),
    ) as forge.pkcs7.PkcsSignedData;
    assert.equal(p7.certificates.length, 2);
    assert.equal(p7.certificates[0].subject.getField('CN').value, '127.0.0.1');
    assert.deepEqual(
      input.certStore.map((c) => c.isCA),
      [false, true],
    );
    assert.match(input.certificate.spkiSha256, /^[A-Za-z0-9+/]{43}=$/);
    assert.deepEqual(input.certificate.subjectAltNames, ['127.0.0.1']);
  });

  test('steps 4-7: a chain to a chosen root is S_OK; each failed check has its CERT_E_ code and its policy flag relaxes it', () => {
    const good = inputFor(makeLeaf(inter, { hosts: ['127.0.0.1'] }), [inter]);
    const ok = helper.verifyChain(good, { roots: [ca.cert] });
    assert.equal(ok.code, helper.S_OK);
    assert.equal(ok.trusted, true);
    assert.equal(ok.chain.length, 3);
    // The roots may be DER too.
    assert.equal(helper.verifyChain(good, { roots: helper.pemToDer(ca.cert) }).code, 0);
    const other = makeCA('Elsewhere');
    assert.equal(helper.verifyChain(good, { roots: [other.cert] }).code, helper.CertErrors.CERT_E_UNTRUSTEDROOT);
    assert.equal(helper.verifyChain(good, { roots: [other.cert], policyFlags: helper.ChainPolicy.ALLOW_UNKNOWN_CA }).code, 0);

    const expired = inputFor(makeExpiredLeaf(ca, ['127.0.0.1']));
    assert.equal(helper.verifyChain(expired, { roots: [ca.cert] }).code, helper.CertErrors.CERT_E_EXPIRED);
    assert.equal(helper.verifyChain(expired, { roots: [ca.cert], policyFlags: helper.ChainPolicy.IGNORE_NOT_TIME_VALID }).code, 0);

    const wrongName = inputFor(makeLeaf(ca, { hosts: ['a.example'] }));
    assert.equal(helper.verifyChain(wrongName, { roots: [ca.cert] }).code, helper.CertErrors.CERT_E_CN_NO_MATCH);
    assert.equal(helper.verifyChain(wrongName, { roots: [ca.cert], host: 'a.example' }).code, 0);
    assert.equal(helper.verifyChain(wrongName, { roots: [ca.cert], policyFlags: helper.ChainPolicy.IGNORE_INVALID_NAME }).code, 0);

    const wrongUsage = inputFor(makeLeaf(ca, { hosts: ['127.0.0.1'], extKeyUsage: ['codeSigning'] }));
    const verdict = helper.verifyChain(wrongUsage, { roots: [ca.cert] });
    assert.equal(verdict.code, helper.CertErrors.CERT_E_WRONG_USAGE);
    assert.match(verdict.reason, /server authentication/);
    assert.equal(helper.verifyChain(wrongUsage, { roots: [ca.cert], policyFlags: helper.ChainPolicy.IGNORE_WRONG_USAGE }).code, 0);
  });

  test('pins: any certificate of the chain may match; a mismatch says which pins it saw and which it expected', () => {
    const input = inputFor(makeLeaf(inter, { hosts: ['127.0.0.1'] }), [inter]);
    const interPin = helper.spkiPin(input.certStore[1]);
    assert.equal(helper.spkiPin(input.certStore[1].der), interPin);
    assert.equal(helper.checkPins(input, [interPin]), 0);
    assert.equal(helper.checkPins(input, [interPin.slice('sha256/'.length)]), 0);
    const wrong = 'sha256/' + Buffer.alloc(32, 7).toString('base64');
    const declined = helper.checkPins(input, [wrong]);
    assert.ok(typeof declined === 'object');
    assert.equal(declined.code, helper.CertErrors.CERT_E_UNTRUSTEDROOT);
    assert.ok(declined.reason?.includes(interPin));
    assert.ok(declined.reason?.includes(wrong));
  });
});

describe('validator helper inside a validator file', () => {
  let server: RecordingServer;
  before(async () => {
    const leaf = makeLeaf(inter, { hosts: ['127.0.0.1'] });
    server = await startRecordingServer(leaf.cert, leaf.key, { chain: [inter.cert] });
  });
  after(() => server.close());

  test('a validator trusting a private CA with verifyChain, and pinning its intermediate, runs in the worker', async () => {
    const gate = makeGate(ca.cert);
    const dir = tempWorkspace();
    try {
      const interPin = 'sha256/' + spkiSha256Base64(new X509Certificate(inter.cert));
      writeFileSync(join(dir, 'corp-ca.ts'), `export const CORP_CA = ${JSON.stringify(ca.cert)};\n`);
      writeFileSync(
        join(dir, 'validator.ts'),
        `import { verifyChain, checkPins, S_OK, decline, type ValidationInput } from 'managed-downloads/validator';
import { CORP_CA } from './corp-ca';
export default function validate(input: ValidationInput) {
  const chain = verifyChain(input, { roots: [CORP_CA] });
  if (chain.code !== S_OK) return decline(chain.reason, chain.code);
  return checkPins(input, [${JSON.stringify(interPin)}, process.env.PIN_BACKUP ?? 'sha256/none']);
}
`,
      );
      await gate.controller.configure({ file: join(dir, 'validator.ts'), trusted: true });
      const job = fakeJob({ validator: 'workspace' });
      const answer = await get(gate.provider.agentFor(job, 'https:'), `https://127.0.0.1:${server.port}/`, job.id);
      assert.equal(answer.error, undefined);
      assert.equal(answer.status, 200);
    } finally {
      await gate.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
