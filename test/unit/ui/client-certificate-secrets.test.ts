// Setting a job's client certificate from the extension (API and command): the certificate is checked before
// its secret is stored, a refusal leaves the secret store as it was, removal takes the secret away, and the API's
// options map to a spec and a secret. The secret store is an in-memory one with SecretStorage's shape.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type * as vscode from 'vscode';
import { makeClientMaterial, PASSPHRASE, writeClientFiles, type ClientMaterial } from '../../support/client-certs';
import { engineForTest } from '../../support/engine';
import { Codes } from '../../../src/core/errors';
import { applyClientCertificate, ClientCertificateSecrets, specFromApiOptions } from '../../../src/ui/clientCertificateSecrets';

let material: ClientMaterial;
let dir: string;
let files: ReturnType<typeof writeClientFiles>;
before(() => {
  material = makeClientMaterial();
  dir = mkdtempSync(path.join(tmpdir(), 'md-cc-secrets-'));
  files = writeClientFiles(dir, material);
});
after(() => rmSync(dir, { recursive: true, force: true }));

function memorySecrets(): { storage: vscode.SecretStorage; entries: Map<string, string> } {
  const entries = new Map<string, string>();
  const storage = {
    get: async (key: string) => entries.get(key),
    store: async (key: string, value: string) => void entries.set(key, value),
    delete: async (key: string) => void entries.delete(key),
    keys: async () => [...entries.keys()],
    onDidChange: () => ({ dispose() {} }),
  } as unknown as vscode.SecretStorage;
  return { storage, entries };
}

test('the API options become a spec (recorded) and a secret (kept apart); bad shapes are refused', () => {
  assert.deepEqual(specFromApiOptions({ certFile: '/a.crt', keyFile: '/a.key' }), {
    spec: { format: 'pem', source: 'file', certFile: '/a.crt', keyFile: '/a.key', passphrase: false },
    secret: {},
  });
  assert.deepEqual(specFromApiOptions({ pfxFile: '/a.p12', passphrase: 'p' }), {
    spec: { format: 'pkcs12', source: 'file', pfxFile: '/a.p12', passphrase: true },
    secret: { passphrase: 'p' },
  });
  assert.deepEqual(specFromApiOptions({ cert: 'C', key: 'K' }), {
    spec: { format: 'pem', source: 'secret', passphrase: false },
    secret: { cert: 'C', key: 'K' },
  });
  assert.deepEqual(specFromApiOptions({ pfx: new Uint8Array([1, 2, 3]) }).secret, { pfx: 'AQID' });
  for (const bad of [
    undefined,
    {},
    { certFile: '/a', pfxFile: '/b' },
    { pfxFile: '/a', keyFile: '/k' },
    { pfx: 'text' },
    { certFile: '/a', passphrase: 42 },
  ]) {
    assert.throws(
      () => specFromApiOptions(bad),
      (err: { code?: number }) => err.code === Codes.E_INVALIDARG,
      JSON.stringify(bad),
    );
  }
});

test('set: checked first (a wrong passphrase stores nothing), then stored; a refusal by the engine restores the old secret; removal forgets it', async (t) => {
  const { storage, entries } = memorySecrets();
  const secrets = new ClientCertificateSecrets(storage);
  const { engine } = await engineForTest(t, { clientCertificateSecrets: (id) => secrets.get(id) });
  const job = await engine.createJob({ displayName: 'secrets' });

  await assert.rejects(
    applyClientCertificate(
      engine,
      secrets,
      job.id,
      { format: 'pkcs12', source: 'file', pfxFile: files.pfx, passphrase: true },
      { passphrase: 'wrong' },
    ),
    (err: { code?: number }) => err.code === Codes.E_INVALID_PASSWORD,
  );
  assert.equal(entries.size, 0, 'nothing stored for a certificate that does not open');

  const set = await applyClientCertificate(
    engine,
    secrets,
    job.id,
    { format: 'pkcs12', source: 'file', pfxFile: files.pfx, passphrase: true },
    { passphrase: PASSPHRASE },
  );
  assert.match(set.clientCertificate!.subject, /CN=alice/);
  assert.deepEqual(await secrets.get(job.id), { passphrase: PASSPHRASE });

  await engine.cancel(job.id);
  await assert.rejects(
    applyClientCertificate(
      engine,
      secrets,
      job.id,
      { format: 'pem', source: 'secret', passphrase: false },
      { cert: material.alice.cert, key: material.alice.key },
    ),
    (err: { code?: number }) => err.code === Codes.BG_E_INVALID_STATE,
  );
  assert.deepEqual(await secrets.get(job.id), { passphrase: PASSPHRASE }, 'the previous secret is back');

  const other = await engine.createJob({ displayName: 'remove' });
  await applyClientCertificate(
    engine,
    secrets,
    other.id,
    { format: 'pem', source: 'secret', passphrase: false },
    { cert: material.alice.cert, key: material.alice.key },
  );
  assert.ok(await secrets.get(other.id));
  const removed = await applyClientCertificate(engine, secrets, other.id, undefined, undefined);
  assert.equal(removed.clientCertificate, undefined);
  assert.equal(await secrets.get(other.id), undefined);
});
