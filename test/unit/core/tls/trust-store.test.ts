// The trust store indexes roots by the bytes of their subject names and parses a root only when a chain
// asks for it; these check that it still finds every root it must, and keeps reporting bad entries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { makeCA, makeIntermediate, makeLeaf } from '../../../support/certs';
import { TrustStore } from '../../../../src/core/tls/trust-store';
import { buildPath } from '../../../../src/core/tls/chain';

test('a chain through a root given as PEM text is trusted; the root is an anchor, found as the issuer of its children', () => {
  const ca = makeCA('Trust Store Root');
  const intermediate = makeIntermediate(ca, 'Trust Store Intermediate');
  const leaf = makeLeaf(intermediate);
  const store = new TrustStore({ env: {}, includeDefaultRoots: false, extraCaPem: [ca.cert, ca.cert] });
  assert.equal(store.size, 1, 'the same root twice is kept once');
  const caCert = new X509Certificate(ca.cert);
  assert.equal(store.isAnchor(caCert), true);
  assert.equal(store.isAnchor(new X509Certificate(intermediate.cert)), false);
  const found = store.candidatesFor(new X509Certificate(intermediate.cert));
  assert.deepEqual(
    found.map((c) => c.fingerprint256),
    [caCert.fingerprint256],
  );
  const path = buildPath(new X509Certificate(leaf.cert), [new X509Certificate(intermediate.cert)], store);
  assert.equal(path.trusted, true, path.problem);
  assert.equal(path.path.length, 3);
  assert.deepEqual(store.problems, []);
});

test("an issuer name encoded with another string type than its root's subject still finds the root", () => {
  const ca = makeCA('Encoding Root');
  // The leaf names its issuer with UTF8String values where the root's subject has PrintableString ones:
  // different bytes, the same name (RFC 5280 compares names after normalising them).
  const keys = forge.pki.rsa.generateKeyPair({ bits: 1024, e: 0x10001 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = '01a1b2c3d4';
  cert.validity.notBefore = new Date(Date.now() - 3600_000);
  cert.validity.notAfter = new Date(Date.now() + 3600_000);
  cert.setSubject([{ name: 'commonName', value: 'encoded.test' }]);
  const utf8 = forge.asn1.Type.UTF8;
  cert.setIssuer(
    ca.forgeCert.subject.attributes.map(
      (a) => ({ type: a.type, value: a.value, valueTagClass: utf8 }) as unknown as forge.pki.CertificateField,
    ),
  );
  cert.sign(ca.forgeKey, forge.md.sha256.create());
  const leaf = new X509Certificate(forge.pki.certificateToPem(cert));
  const root = new X509Certificate(ca.cert);
  assert.equal(leaf.issuer, root.subject, 'Node prints both names the same');

  const store = new TrustStore({ env: {}, includeDefaultRoots: false, extraCaPem: [ca.cert] });
  assert.deepEqual(
    store.candidatesFor(leaf).map((c) => c.fingerprint256),
    [root.fingerprint256],
  );
  assert.equal(buildPath(leaf, [], store).trusted, true);
});

test('an entry that is not a certificate is reported in problems; the other roots still work', () => {
  const ca = makeCA('Survivor Root');
  const garbage = '-----BEGIN CERTIFICATE-----\nTm90IGEgY2VydGlmaWNhdGUgYXQgYWxs\n-----END CERTIFICATE-----';
  const store = new TrustStore({ env: {}, includeDefaultRoots: false, extraCaPem: [garbage, ca.cert] });
  assert.equal(store.size, 1);
  assert.equal(store.problems.length, 1);
  assert.match(store.problems[0], /could not be parsed/);
  const leaf = makeLeaf(ca);
  assert.equal(buildPath(new X509Certificate(leaf.cert), [], store).trusted, true);
});

test("Node's own roots are all indexed, and a certificate from an unknown CA finds no candidate among them", () => {
  const store = new TrustStore({ env: {} });
  assert.ok(store.size > 50, `expected Node's bundled roots, got ${store.size}`);
  assert.deepEqual(store.problems, []);
  const stranger = makeLeaf(makeCA('Nobody Knows This CA'));
  assert.deepEqual(store.candidatesFor(new X509Certificate(stranger.cert)), []);
  assert.equal(buildPath(new X509Certificate(stranger.cert), [], store).trusted, false);
});
