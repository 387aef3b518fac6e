// Client certificates per job (BITS SetClientCertificate) through the engine and the certificate gate, against
// a real HTTPS server on loopback that requires a certificate from a client CA made at test time: PEM files,
// PKCS#12 with a passphrase, material and passphrase from the secret store, and the clear, final errors for a
// wrong passphrase, a key that does not match, a missing file and a server that wants a certificate the job lacks.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { makeCA, makeLeaf, type Issued } from '../../../support/certs';
import {
  makeClientMaterial,
  PASSPHRASE,
  startClientAuthServer,
  writeClientFiles,
  type ClientMaterial,
} from '../../../support/client-certs';
import { openEngine, sandbox, sandboxFor, waitForState, type Sandbox } from '../../../support/engine';
import { testBytes, type TestServer } from '../../../support/servers';
import { allFileText, holderAndFollower } from '../../../support/store';

import { BitsError, Codes, ErrorContext } from '../../../../src/core/errors';
import { JobState, type ClientCertificateSpec } from '../../../../src/core/model/job';
import { JobEngine } from '../../../../src/core/jobs/engine';
import type { ClientCertificateSecret } from '../../../../src/core/tls/client-certificate';
import { CertificateService } from '../../../../src/core/tls/service';
import { GatedConnectionProvider } from '../../../../src/core/net/connection-provider';

const body = testBytes(200_000, 11);
let serverCa: Issued;
let material: ClientMaterial;
let server: TestServer;
let server12: TestServer;
let dir: string;
let files: ReturnType<typeof writeClientFiles>;

before(async () => {
  serverCa = makeCA('Managed Downloads Test Server CA');
  material = makeClientMaterial();
  server = await startClientAuthServer(serverCa, material.clientCa);
  server12 = await startClientAuthServer(serverCa, material.clientCa, { maxVersion: 'TLSv1.2' });
  for (const s of [server, server12]) s.route('/file.bin', { body });
  dir = mkdtempSync(path.join(tmpdir(), 'md-client-cert-'));
  files = writeClientFiles(dir, material);
});
after(async () => {
  await server.close();
  await server12.close();
  rmSync(dir, { recursive: true, force: true });
});

interface World {
  box: Sandbox;
  engine: JobEngine;
  /** What the secret store holds, per job (the test sets it as the UI would). */
  secrets: Map<string, ClientCertificateSecret>;
}

async function world(fn: (w: World) => Promise<void>): Promise<void> {
  const box = sandbox();
  const secrets = new Map<string, ClientCertificateSecret>();
  const service = new CertificateService({ trust: { includeDefaultRoots: false, extraCaPem: [serverCa.cert] } });
  const ref: { engine?: JobEngine } = {};
  const provider = new GatedConnectionProvider(service, { jobLookup: (id) => ref.engine?.getJob(id) });
  const engine = await openEngine(box, { connections: provider, clientCertificateSecrets: (id) => secrets.get(id) });
  ref.engine = engine;
  try {
    await fn({ box, engine, secrets });
  } finally {
    await engine.dispose();
    provider.dispose();
    await service.dispose();
    await box.cleanup();
  }
}

let jobNumber = 0;
/** A job for the file, saved under a name of its own (two jobs never download to one path). */
async function newJob(w: World, from = server): Promise<string> {
  const job = await w.engine.createJob({ displayName: 'client cert', minimumRetryDelay: 0, noProgressTimeout: 60 });
  await w.engine.addFile(job.id, { remoteUrl: from.url('/file.bin'), localPath: path.join(w.box.dest, `file-${++jobNumber}.bin`) });
  return job.id;
}

async function transfers(w: World, jobId: string): Promise<void> {
  await w.engine.resume(jobId);
  const done = await waitForState(w.engine, jobId, [JobState.TRANSFERRED, JobState.ERROR]);
  assert.equal(done.state, JobState.TRANSFERRED, done.error?.description);
}

function rejectsWith(promise: Promise<unknown>, code: number, message: RegExp): Promise<void> {
  return assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof BitsError, String(err));
    assert.equal(err.code, code, err.message);
    assert.match(err.message, message);
    assert.doesNotMatch(err.message, new RegExp(PASSPHRASE), 'the passphrase is never in a message');
    return true;
  });
}

/** Every byte of every file under `root`. */
describe('a job with a client certificate, against a server that requires one', () => {
  test('PEM certificate and key files: the server sees the certificate and the file arrives', () =>
    world(async (w) => {
      const id = await newJob(w);
      const job = await w.engine.setClientCertificate(id, {
        format: 'pem',
        source: 'file',
        certFile: files.cert,
        keyFile: files.key,
        passphrase: false,
      });
      assert.match(job.clientCertificate!.subject, /CN=alice/);
      assert.match(job.clientCertificate!.sha1Thumbprint, /^([0-9A-F]{2}:){19}[0-9A-F]{2}$/);
      const before = server.requests.length;
      await transfers(w, id);
      const { completed } = await w.engine.complete(id);
      assert.ok(readFileSync(completed[0]).equals(body));
      assert.ok(server.requests.slice(before).every((r) => r.clientCertificate === 'alice'));
    }));

  test('one PEM file holding both certificate and key', () =>
    world(async (w) => {
      const id = await newJob(w);
      await w.engine.setClientCertificate(id, { format: 'pem', source: 'file', certFile: files.combined, passphrase: false });
      await transfers(w, id);
    }));

  test('PKCS#12 file with its passphrase from the secret store, over TLS 1.2 as well', () =>
    world(async (w) => {
      for (const s of [server, server12]) {
        const id = await newJob(w, s);
        w.secrets.set(id, { passphrase: PASSPHRASE });
        const job = await w.engine.setClientCertificate(id, { format: 'pkcs12', source: 'file', pfxFile: files.pfx, passphrase: true });
        assert.match(job.clientCertificate!.subject, /CN=alice/);
        const before = s.requests.length;
        await transfers(w, id);
        assert.equal(s.requests.at(-1)?.clientCertificate, 'alice');
        assert.ok(s.requests.length > before);
        await w.engine.complete(id);
      }
    }));

  test('PEM with an encrypted key, certificate and passphrase all in the secret store: none of it in the store', () =>
    world(async (w) => {
      const id = await newJob(w);
      w.secrets.set(id, { cert: material.alice.cert, key: material.aliceEncryptedKey, passphrase: PASSPHRASE });
      await w.engine.setClientCertificate(id, { format: 'pem', source: 'secret', passphrase: true });
      await transfers(w, id);
      const pfxId = await newJob(w);
      w.secrets.set(pfxId, { pfx: material.alicePfx.toString('base64'), passphrase: PASSPHRASE });
      await w.engine.setClientCertificate(pfxId, { format: 'pkcs12', source: 'secret', passphrase: true });
      await transfers(w, pfxId);
      await w.engine.dispose(); // everything flushed
      const stored = allFileText(w.box.store);
      assert.ok(stored.includes('"clientCertificate"'), 'the job records its certificate');
      assert.ok(!stored.includes(PASSPHRASE), 'the passphrase is in no file of the store');
      const keyBody = material.aliceEncryptedKey.split('\n')[1];
      const certBody = material.alice.cert.split('\n')[1];
      assert.ok(!stored.includes(keyBody) && !stored.includes(certBody), 'nor the secret-kept key or certificate');
      assert.ok(!stored.includes(material.alicePfx.toString('base64').slice(0, 40)), 'nor the PKCS#12 data');
    }));

  test('the record survives a restart and the job downloads again with it', async () => {
    const box = sandbox();
    const secrets = new Map<string, ClientCertificateSecret>();
    const service = new CertificateService({ trust: { includeDefaultRoots: false, extraCaPem: [serverCa.cert] } });
    const ref: { engine?: JobEngine } = {};
    const provider = new GatedConnectionProvider(service, { jobLookup: (id) => ref.engine?.getJob(id) });
    try {
      let engine = (ref.engine = await openEngine(box, { connections: provider, clientCertificateSecrets: (id) => secrets.get(id) }));
      const job = await engine.createJob({ displayName: 'restart', minimumRetryDelay: 0 });
      await engine.addFile(job.id, { remoteUrl: server.url('/file.bin'), localPath: path.join(box.dest, 'again.bin') });
      secrets.set(job.id, { passphrase: PASSPHRASE });
      await engine.setClientCertificate(job.id, { format: 'pkcs12', source: 'file', pfxFile: files.pfx, passphrase: true });
      await engine.dispose();
      engine = ref.engine = await openEngine(box, { connections: provider, clientCertificateSecrets: (id) => secrets.get(id) });
      assert.equal(engine.getJob(job.id)?.clientCertificate?.pfxFile, files.pfx);
      await engine.resume(job.id);
      const done = await waitForState(engine, job.id, [JobState.TRANSFERRED, JobState.ERROR]);
      assert.equal(done.state, JobState.TRANSFERRED, done.error?.description);
      await engine.dispose();
    } finally {
      provider.dispose();
      await service.dispose();
      await box.cleanup();
    }
  });
});

describe('clear errors, each final', () => {
  const spec = (over: Partial<ClientCertificateSpec>): ClientCertificateSpec => ({
    format: 'pem',
    source: 'file',
    certFile: files.cert,
    keyFile: files.key,
    passphrase: false,
    ...over,
  });

  test('a wrong passphrase (PKCS#12 and encrypted PEM key) is refused when set, naming the problem and not the passphrase', () =>
    world(async (w) => {
      const id = await newJob(w);
      w.secrets.set(id, { passphrase: PASSPHRASE + ' wrong' });
      await rejectsWith(
        w.engine.setClientCertificate(
          id,
          spec({ format: 'pkcs12', certFile: undefined, keyFile: undefined, pfxFile: files.pfx, passphrase: true }),
        ),
        Codes.E_INVALID_PASSWORD,
        /passphrase is wrong/,
      );
      await rejectsWith(
        w.engine.setClientCertificate(id, spec({ keyFile: files.encryptedKey, passphrase: true })),
        Codes.E_INVALID_PASSWORD,
        /passphrase is wrong/,
      );
      await rejectsWith(
        w.engine.setClientCertificate(id, spec({ keyFile: files.encryptedKey })),
        Codes.E_INVALID_PASSWORD,
        /protected by a passphrase, and none was given/,
      );
      assert.equal(w.engine.getJob(id)?.clientCertificate, undefined, 'nothing was recorded');
    }));

  test('a key that does not match the certificate, a certificate file without a key, a missing file, not a certificate', () =>
    world(async (w) => {
      const id = await newJob(w);
      await rejectsWith(
        w.engine.setClientCertificate(id, spec({ keyFile: files.strayKey })),
        Codes.ERROR_WINHTTP_CLIENT_CERT_NO_PRIVATE_KEY,
        /does not match the certificate/,
      );
      await rejectsWith(
        w.engine.setClientCertificate(id, spec({ keyFile: undefined })),
        Codes.ERROR_WINHTTP_CLIENT_CERT_NO_PRIVATE_KEY,
        /holds no PEM private key/,
      );
      await rejectsWith(
        w.engine.setClientCertificate(id, spec({ certFile: path.join(dir, 'nope.crt') })),
        Codes.E_FILE_NOT_FOUND,
        /nope\.crt does not exist/,
      );
      await rejectsWith(w.engine.setClientCertificate(id, spec({ certFile: files.key })), Codes.E_INVALIDARG, /holds no PEM certificate/);
      await rejectsWith(
        w.engine.setClientCertificate(id, spec({ format: 'pkcs12', certFile: undefined, keyFile: undefined, pfxFile: files.cert })),
        Codes.E_INVALIDARG,
        /not a PKCS#12/,
      );
      await rejectsWith(
        w.engine.setClientCertificate(id, { format: 'pem', source: 'secret', passphrase: false }),
        Codes.CRYPT_E_NOT_FOUND,
        /secret store, which has none/,
      );
      await rejectsWith(w.engine.setClientCertificate(id, spec({ certFile: 'relative.crt' })), Codes.E_INVALIDARG, /absolute path/);
    }));

  test('no certificate: ERROR_WINHTTP_CLIENT_AUTH_CERT_NEEDED at once, not retried (TLS 1.3 and 1.2); setting one and resuming fixes it', () =>
    world(async (w) => {
      for (const s of [server, server12]) {
        const id = await newJob(w, s);
        await w.engine.resume(id);
        const failed = await waitForState(w.engine, id, [JobState.ERROR, JobState.TRANSIENT_ERROR, JobState.TRANSFERRED]);
        assert.equal(failed.state, JobState.ERROR, `final, not transient: ${failed.error?.description}`);
        assert.equal(failed.error?.code, Codes.ERROR_WINHTTP_CLIENT_AUTH_CERT_NEEDED);
        assert.equal(failed.error?.context, ErrorContext.GENERAL_TRANSPORT);
        assert.match(failed.error!.description, /requires (a client certificate|one)/);
        assert.match(failed.error!.description, /this job has (none|no client certificate)/);
        await w.engine.setClientCertificate(id, spec({}));
        await transfers(w, id);
        await w.engine.complete(id);
      }
    }));

  test('a certificate the server does not trust, and a file deleted after it was set: the job fails without retrying forever', () =>
    world(async (w) => {
      const id = await newJob(w);
      await w.engine.setClientCertificate(id, spec({ certFile: files.malloryCert, keyFile: files.malloryKey }));
      await w.engine.resume(id);
      // A Node server drops the connection without an alert here, so this one is transient (retried) by its code.
      const refused = await waitForState(w.engine, id, [JobState.ERROR, JobState.TRANSIENT_ERROR, JobState.TRANSFERRED]);
      assert.notEqual(refused.state, JobState.TRANSFERRED);
      await w.engine.suspend(id);

      const copy = path.join(dir, 'copy.crt');
      copyFileSync(files.cert, copy);
      await w.engine.setClientCertificate(id, spec({ certFile: copy }));
      unlinkSync(copy);
      await w.engine.resume(id);
      const gone = await waitForState(w.engine, id, [JobState.ERROR, JobState.TRANSIENT_ERROR, JobState.TRANSFERRED]);
      assert.equal(gone.state, JobState.ERROR, gone.error?.description);
      assert.equal(gone.error?.code, Codes.E_FILE_NOT_FOUND);
      assert.match(gone.error!.description, /copy\.crt does not exist/);
    }));

  test('set and removed in any state but ACKNOWLEDGED and CANCELLED (BITS); removing takes the certificate away again', () =>
    world(async (w) => {
      const id = await newJob(w);
      await w.engine.setClientCertificate(id, spec({}));
      const removed = await w.engine.setClientCertificate(id, undefined);
      assert.equal(removed.clientCertificate, undefined);
      await w.engine.resume(id);
      const failed = await waitForState(w.engine, id, [JobState.ERROR, JobState.TRANSIENT_ERROR, JobState.TRANSFERRED]);
      assert.equal(failed.error?.code, Codes.ERROR_WINHTTP_CLIENT_AUTH_CERT_NEEDED);
      await w.engine.cancel(id);
      await rejectsWith(w.engine.setClientCertificate(id, spec({})), Codes.BG_E_INVALID_STATE, /CANCELLED/);
    }));
});

/** OpenSSL's own server, which (unlike Node's) refuses a client certificate with a TLS alert during the handshake. */
async function startOpensslServer(t: { after: (fn: () => unknown) => void }): Promise<{ url: string } | undefined> {
  const { spawn, spawnSync } = await import('node:child_process');
  const net = await import('node:net');
  if (spawnSync('openssl', ['version']).status !== 0) return undefined;
  const folder = mkdtempSync(path.join(tmpdir(), 'md-openssl-'));
  const leaf = makeLeaf(serverCa, { hosts: ['127.0.0.1'] });
  writeFileSync(path.join(folder, 'cert.pem'), leaf.cert);
  writeFileSync(path.join(folder, 'key.pem'), leaf.key);
  writeFileSync(path.join(folder, 'client-ca.pem'), material.clientCa.cert);
  writeFileSync(path.join(folder, 'file.bin'), body);
  const port = await new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as { port: number };
      probe.close(() => resolve(free));
    });
  });
  const child = spawn(
    'openssl',
    [
      's_server',
      '-accept',
      `127.0.0.1:${port}`,
      '-cert',
      'cert.pem',
      '-key',
      'key.pem',
      '-CAfile',
      'client-ca.pem',
      '-Verify',
      '1',
      '-verify_return_error',
      '-WWW',
    ],
    { cwd: folder, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  t.after(() => {
    child.kill();
    rmSync(folder, { recursive: true, force: true });
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()).includes('ACCEPT') && resolve());
    child.on('exit', (code) => reject(new Error(`openssl s_server exited (${code}): ${out}`)));
  });
  return { url: `https://127.0.0.1:${port}/file.bin` };
}

describe('a server that refuses the certificate with a TLS alert', () => {
  test('openssl s_server: "unknown CA" for a certificate it does not trust is final and names the certificate; a trusted one downloads', (t) =>
    world(async (w) => {
      const openssl = await startOpensslServer(t);
      if (!openssl) return t.skip('no openssl on this machine');
      const job = await w.engine.createJob({ displayName: 'refused', minimumRetryDelay: 0 });
      await w.engine.addFile(job.id, { remoteUrl: openssl.url, localPath: path.join(w.box.dest, 'refused.bin') });
      await w.engine.setClientCertificate(job.id, {
        format: 'pem',
        source: 'file',
        certFile: files.malloryCert,
        keyFile: files.malloryKey,
        passphrase: false,
      });
      await w.engine.resume(job.id);
      const refused = await waitForState(w.engine, job.id, [JobState.ERROR, JobState.TRANSIENT_ERROR, JobState.TRANSFERRED]);
      assert.equal(refused.state, JobState.ERROR, refused.error?.description);
      assert.equal(refused.error?.code, Codes.ERROR_WINHTTP_CLIENT_AUTH_CERT_NEEDED);
      assert.match(refused.error!.description, /refused the job's client certificate \(CN=mallory.*TLS alert "unknown CA/);
      await w.engine.setClientCertificate(job.id, {
        format: 'pem',
        source: 'file',
        certFile: files.cert,
        keyFile: files.key,
        passphrase: false,
      });
      await transfers(w, job.id);
    }));
});

describe('a window that does not run the store', () => {
  test('forwards setClientCertificate to the holder, which reads the secret from its own secret store', async (t) => {
    const box = sandboxFor(t);
    const secrets = new Map<string, ClientCertificateSecret>();
    const { holder, follower } = await holderAndFollower(box, {
      engine: { clientCertificateSecrets: (id) => secrets.get(id) },
      forwardTimeoutMs: 5000,
    });
    assert.equal(follower.role, 'follower');
    const job = await follower.createJob({ displayName: 'forwarded' });
    secrets.set(job.id, { passphrase: PASSPHRASE });
    const set = await follower.setClientCertificate(job.id, { format: 'pkcs12', source: 'file', pfxFile: files.pfx, passphrase: true });
    assert.match(set.clientCertificate!.subject, /CN=alice/);
    assert.equal(holder.getJob(job.id)?.clientCertificate?.pfxFile, files.pfx);
    secrets.set(job.id, { passphrase: 'not it' });
    await rejectsWith(
      follower.setClientCertificate(job.id, { format: 'pkcs12', source: 'file', pfxFile: files.pfx, passphrase: true }),
      Codes.E_INVALID_PASSWORD,
      /passphrase is wrong/,
    );
    const removed = await follower.setClientCertificate(job.id, undefined);
    assert.equal(removed.clientCertificate, undefined);
    assert.equal(holder.getJob(job.id)?.clientCertificate, undefined);
  });
});

describe('the store', () => {
  test('a stored job whose client certificate is damaged is set aside with the reason; the others load', async () => {
    const box = sandbox();
    try {
      let engine = await openEngine(box);
      const good = await engine.createJob({ displayName: 'good' });
      const bad = await engine.createJob({ displayName: 'bad' });
      await engine.setClientCertificate(bad.id, { format: 'pem', source: 'file', certFile: files.combined, passphrase: false });
      await engine.dispose();
      const file = path.join(box.store, 'jobs', `${bad.id}.json`);
      const stored = JSON.parse(readFileSync(file, 'utf8'));
      assert.equal(stored.job.clientCertificate.certFile, files.combined);
      stored.job.clientCertificate.certFile = 'relative/path.pem';
      writeFileSync(file, JSON.stringify(stored));
      engine = await openEngine(box);
      assert.ok(engine.getJob(good.id));
      assert.equal(engine.getJob(bad.id), undefined);
      assert.equal(engine.storeProblems.length, 1);
      assert.match(engine.storeProblems[0].message, /invalid client certificate: .*absolute path/);
      await engine.dispose();
    } finally {
      await box.cleanup();
    }
  });
});
