// The validators' own chain check (verifyChain, steps 4-7 of the seed) refuses what phase 1 refuses whatever
// policy flags the validator passes: a weak signature or key, a path-length or name-constraint violation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { buildValidationInput } from '../../../../src/core/tls/validation-input';
import { CertErrors, ChainPolicy, verifyChain } from '../../../../src/validator/helpers/chain';
import { makeCert, type Made } from '../../../support/x509';
import { fakeJob } from '../../core/tls/helpers';

const EVERY_POLICY =
  ChainPolicy.ALLOW_UNKNOWN_CA | ChainPolicy.IGNORE_NOT_TIME_VALID | ChainPolicy.IGNORE_WRONG_USAGE | ChainPolicy.IGNORE_INVALID_NAME;

function verdict(chain: Made[], root: Made, policyFlags = 0) {
  const input = buildValidationInput(
    fakeJob(),
    0,
    'localhost',
    443,
    chain.map((c) => new X509Certificate(c.cert)),
  );
  return verifyChain(input, { roots: [root.cert], host: 'localhost', policyFlags });
}

test('verifyChain: a good chain passes; weak signatures and keys, path-length and name-constraint violations fail under every policy flag', () => {
  const root = makeCert({ cn: 'Helper Root', ca: true });
  const inter = makeCert({ cn: 'Helper Intermediate', ca: true, issuer: root });
  const leaf = makeCert({ sans: ['localhost'], issuer: inter });
  assert.equal(verdict([leaf, inter], root).code, 0);

  const sha1Inter = makeCert({ cn: 'SHA-1 Intermediate', ca: true, issuer: root, hash: 'sha1' });
  const underSha1 = makeCert({ sans: ['localhost'], issuer: sha1Inter });
  const weakSignature = verdict([underSha1, sha1Inter], root, EVERY_POLICY);
  assert.equal(weakSignature.code, CertErrors.TRUST_E_CERT_SIGNATURE);
  assert.match(weakSignature.reason, /SHA-1/);

  const weakKey = verdict([makeCert({ sans: ['localhost'], issuer: inter, key: 'rsa1024' }), inter], root, EVERY_POLICY);
  assert.equal(weakKey.code, CertErrors.TRUST_E_CERT_SIGNATURE);
  assert.match(weakKey.reason, /1024-bit/);

  const top = makeCert({ cn: 'pathlen:0', ca: true, issuer: root, pathLen: 0 });
  const below = makeCert({ cn: 'Below', ca: true, issuer: top });
  assert.equal(
    verdict([makeCert({ sans: ['localhost'], issuer: below }), below, top], root, EVERY_POLICY).code,
    CertErrors.CERT_E_PATHLENCONST,
  );

  const constrained = makeCert({ cn: 'Constrained', ca: true, issuer: root, permittedDns: ['allowed.test'] });
  const outside = verdict([makeCert({ sans: ['localhost'], issuer: constrained }), constrained], root, EVERY_POLICY);
  assert.equal(outside.code, CertErrors.CERT_E_INVALID_NAME);
  assert.match(outside.reason, /outside the permitted allowed\.test/);
  assert.equal(
    verdict(
      [makeCert({ sans: ['www.allowed.test'], cn: 'www.allowed.test', issuer: constrained }), constrained],
      root,
      ChainPolicy.IGNORE_INVALID_NAME,
    ).code,
    0,
    'a name inside the constraint passes',
  );
});
