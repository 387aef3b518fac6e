// VS Code's SecretStorage as the extension uses it (write-only headers, client-certificate secrets): every call has
// a time limit, and a job whose secret does not come fails closed (TRANSIENT_ERROR with an actionable message, no
// request sent) instead of hanging in CONNECTING; a header changed by another window (which shares the storage) is
// seen here, not a stale cached value. The storage is an in-memory one with SecretStorage's shape; the one that
// "never answers" is what an extension host whose browser tab closed gives (issue 15).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import type * as vscode from 'vscode';
import { engineForTest, waitForState } from '../../support/engine';
import { startServer, testBytes } from '../../support/servers';
import { Codes } from '../../../src/core/errors';
import { JobState } from '../../../src/core/model/job';
import { ClientCertificateSecrets } from '../../../src/ui/clientCertificateSecrets';
import { HeaderSecrets } from '../../../src/ui/headerSecrets';
import { SECRET_STORAGE_TIME_LIMIT_MS } from '../../../src/ui/secretStorageCalls';

/** One SecretStorage shared by several "windows": each store or delete fires onDidChange for every listener. */
function sharedSecrets(): vscode.SecretStorage {
  const entries = new Map<string, string>();
  const listeners = new Set<(e: { key: string }) => void>();
  const changed = (key: string) => listeners.forEach((l) => l({ key }));
  return {
    get: async (key: string) => entries.get(key),
    store: async (key: string, value: string) => {
      entries.set(key, value);
      changed(key);
    },
    delete: async (key: string) => {
      entries.delete(key);
      changed(key);
    },
    keys: async () => [...entries.keys()],
    onDidChange: (listener: (e: { key: string }) => void) => {
      listeners.add(listener);
      return { dispose: () => listeners.delete(listener) };
    },
  } as unknown as vscode.SecretStorage;
}

/** A SecretStorage whose calls never settle. */
function silentSecrets(): vscode.SecretStorage {
  const never = () => new Promise<never>(() => undefined);
  return { get: never, store: never, delete: never, keys: never, onDidChange: () => ({ dispose() {} }) } as unknown as vscode.SecretStorage;
}

const LIMIT_MS = 50;

function isSecretTimeout(err: unknown): boolean {
  const e = err as { name?: string; code?: number; message?: string };
  assert.equal(e.name, 'BitsError');
  assert.equal(e.code, Codes.ERROR_TIMEOUT, String(e.message));
  assert.match(e.message ?? '', /secret storage did not answer within/);
  assert.match(e.message ?? '', /unlock it|reload the window/, 'says what to do');
  return true;
}

test('the time limit is a named constant of ten seconds', () => {
  assert.equal(SECRET_STORAGE_TIME_LIMIT_MS, 10_000);
});

test('every call of HeaderSecrets and ClientCertificateSecrets to a storage that never answers fails with ERROR_TIMEOUT', async () => {
  const headers = new HeaderSecrets(silentSecrets(), LIMIT_MS);
  await assert.rejects(headers.get('job-1'), isSecretTimeout);
  await assert.rejects(headers.set('job-1', 'Authorization', 'Bearer x'), isSecretTimeout);
  await assert.rejects(headers.setAll('job-1', { Authorization: 'Bearer x' }), isSecretTimeout);
  await assert.rejects(headers.forget('job-1'), isSecretTimeout);
  const certificates = new ClientCertificateSecrets(silentSecrets(), LIMIT_MS);
  await assert.rejects(certificates.get('job-1'), isSecretTimeout);
  await assert.rejects(certificates.set('job-1', { passphrase: 'p' }), isSecretTimeout);
  await assert.rejects(certificates.forget('job-1'), isSecretTimeout);
});

test('a storage that refuses gives a BitsError that names what was being done, not the bare rejection', async () => {
  const refusing = { ...sharedSecrets(), get: () => Promise.reject(new Error('keychain locked')) } as unknown as vscode.SecretStorage;
  await assert.rejects(new HeaderSecrets(refusing, LIMIT_MS).get('job-7'), (err: { name?: string; code?: number; message?: string }) => {
    assert.equal(err.name, 'BitsError');
    assert.equal(err.code, Codes.E_FAIL);
    assert.match(err.message ?? '', /write-only headers of job job-7 .*: keychain locked\./);
    return true;
  });
});

test('a job whose write-only headers do not come fails closed: TRANSIENT_ERROR with the time-out, no request sent', async (t) => {
  const server = await startServer();
  t.after(() => server.close());
  server.route('/secret.bin', { body: testBytes(1024) });
  const headers = new HeaderSecrets(silentSecrets(), LIMIT_MS);
  const { box, engine } = await engineForTest(t, { headerSecrets: (id) => headers.get(id) });
  const job = await engine.createJob({ displayName: 'token job', minimumRetryDelay: 60, noProgressTimeout: 3600 });
  await engine.setProperties(job.id, { writeOnlyHeaderNames: ['Authorization'] });
  await engine.addFile(job.id, { remoteUrl: server.url('/secret.bin'), localPath: path.join(box.dest, 'secret.bin') });
  await engine.resume(job.id);
  const failed = await waitForState(engine, job.id, [JobState.TRANSIENT_ERROR, JobState.ERROR]);
  assert.equal(JobState[failed.state], 'TRANSIENT_ERROR', 'retried later: the keychain may answer then');
  assert.equal(failed.error?.code, Codes.ERROR_TIMEOUT);
  assert.match(failed.error?.description ?? '', /secret storage did not answer .* write-only headers of job/);
  assert.equal(server.requestsFor('/secret.bin').length, 0, 'no request went out without the header');
});

test('a header changed by another window (same storage) is what this window sends next, not its cached value', async () => {
  const storage = sharedSecrets();
  const here = new HeaderSecrets(storage);
  const there = new HeaderSecrets(storage);
  await here.setAll('job-2', { Authorization: 'Bearer old' });
  assert.deepEqual(await here.get('job-2'), { Authorization: 'Bearer old' }, 'read and cached here');
  assert.deepEqual(await there.set('job-2', 'Authorization', 'Bearer new'), ['Authorization']);
  assert.deepEqual(await here.get('job-2'), { Authorization: 'Bearer new' });
  await there.set('job-2', 'Authorization', undefined);
  assert.equal(await here.get('job-2'), undefined, 'a header removed there is not sent here');
  here.dispose();
  there.dispose();
});

test('a read that began before another window changed the header does not cache the old value', async () => {
  const storage = sharedSecrets();
  await storage.store('managedDownloads.writeOnlyHeaders/job-3', JSON.stringify({ Authorization: 'Bearer old' }));
  // The first read is held until the other window has written.
  let releaseRead!: () => void;
  const held = new Promise<void>((resolve) => (releaseRead = resolve));
  const slowGet = storage.get.bind(storage);
  const slow = {
    ...storage,
    onDidChange: storage.onDidChange,
    get: async (key: string) => {
      const value = await slowGet(key);
      await held;
      return value;
    },
  } as unknown as vscode.SecretStorage;
  const here = new HeaderSecrets(slow);
  const reading = here.get('job-3');
  await new HeaderSecrets(storage).set('job-3', 'Authorization', 'Bearer new');
  releaseRead();
  assert.deepEqual(await reading, { Authorization: 'Bearer old' }, 'the read in flight answers what it read');
  const next = here.get('job-3');
  assert.deepEqual(await next, { Authorization: 'Bearer new' }, 'the next read is fresh');
});
