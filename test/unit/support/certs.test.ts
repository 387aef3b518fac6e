import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { makeCA, makeLeaf, makeExpiredLeaf } from '../../support/certs';

test('test certificates: a leaf verifies against its CA and carries the hosts asked for', () => {
  const ca = makeCA();
  const leaf = makeLeaf(ca, { hosts: ['127.0.0.2', 'demo.test'] });
  const x = new X509Certificate(leaf.cert);
  assert.ok(x.verify(new X509Certificate(ca.cert).publicKey));
  assert.ok(x.checkHost('demo.test'));
  assert.equal(x.checkIP('127.0.0.2'), '127.0.0.2');
  const expired = new X509Certificate(makeExpiredLeaf(ca).cert);
  assert.ok(new Date(expired.validTo) < new Date());
});
