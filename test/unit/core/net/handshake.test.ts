// The handshake itself: protocol and cipher failures are named and final (retrying cannot fix a server's TLS
// configuration), a weak key exchange is refused, and a handshake that never completes is given up with the
// request that waited for it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getDiffieHellman } from 'node:crypto';
import * as net from 'node:net';
import * as tls from 'node:tls';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import forge from 'node-forge';
import { Codes } from '../../../../src/core/errors';
import { GatedConnectionProvider } from '../../../../src/core/net/connection-provider';
import { CertificateService, inProcessValidator } from '../../../../src/core/tls/service';
import { sendGet } from '../../../../src/core/transfer/http-client';
import { makeCA, makeLeaf, type Issued } from '../../../support/certs';
import { waitUntil, within } from '../../../support/wait';
import { fakeJob, get } from '../tls/helpers';

let ca: Issued;
let leaf: Issued;
let service: CertificateService;
let provider: GatedConnectionProvider;

before(() => {
  ca = makeCA();
  leaf = makeLeaf(ca, { hosts: ['127.0.0.1'] });
  service = new CertificateService({ trust: { includeDefaultRoots: false, extraCaPem: [ca.cert] } });
  provider = new GatedConnectionProvider(service);
});
after(async () => {
  provider.dispose();
  await service.dispose();
});

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

async function withTlsServer(options: tls.TlsOptions, fn: (url: string) => Promise<void>): Promise<void> {
  const server = tls.createServer({ cert: leaf.cert, key: leaf.key, ...options }, (s) => {
    s.on('error', () => undefined);
    s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok');
  });
  server.on('tlsClientError', () => undefined);
  const port = await listen(server);
  try {
    await fn(`https://127.0.0.1:${port}/f`);
  } finally {
    await new Promise((r) => server.close(r));
  }
}

/** DH parameters of RFC 2409's 1024-bit group, as PEM. */
function dh1024Pem(): string {
  const prime = getDiffieHellman('modp2').getPrime();
  const { asn1 } = forge;
  const int = (bytes: Buffer) =>
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, (bytes[0] & 0x80 ? '\0' : '') + bytes.toString('binary'));
  const der = asn1.toDer(asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [int(prime), int(Buffer.from([2]))])).getBytes();
  return `-----BEGIN DH PARAMETERS-----\n${Buffer.from(der, 'binary').toString('base64')}\n-----END DH PARAMETERS-----\n`;
}

describe('the TLS handshake', () => {
  test('a server that speaks only TLS 1.0: ERROR_WINHTTP_SECURE_CHANNEL_ERROR, final, named', async () => {
    await withTlsServer({ minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' }, async (url) => {
      const job = fakeJob();
      const { error } = await get(provider.agentFor(job, 'https:'), url, job.id);
      assert.equal(error?.code, Codes.ERROR_WINHTTP_SECURE_CHANNEL_ERROR, error?.message);
      assert.equal(error?.transient, false);
      assert.match(error?.message ?? '', /TLS 1\.2 or newer/);
    });
  });

  test('no cipher in common: ERROR_WINHTTP_SECURE_CHANNEL_ERROR, final', async () => {
    await withTlsServer({ maxVersion: 'TLSv1.2', ciphers: 'NULL-SHA256:@SECLEVEL=0' }, async (url) => {
      const job = fakeJob();
      const { error } = await get(provider.agentFor(job, 'https:'), url, job.id);
      assert.equal(error?.code, Codes.ERROR_WINHTTP_SECURE_CHANNEL_ERROR, error?.message);
      assert.equal(error?.transient, false);
    });
  });

  test('a 1024-bit Diffie-Hellman key exchange is refused', async () => {
    await withTlsServer({ maxVersion: 'TLSv1.2', ciphers: 'DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0', dhparam: dh1024Pem() }, async (url) => {
      const job = fakeJob();
      const { error } = await get(provider.agentFor(job, 'https:'), url, job.id);
      assert.equal(error?.code, Codes.ERROR_WINHTTP_SECURE_CHANNEL_ERROR, error?.message);
      assert.match(error?.message ?? '', /Diffie-Hellman/);
    });
  });

  test('a handshake that never completes is given up when its request is (no socket held for the connect limit)', async () => {
    const closed: Promise<void>[] = [];
    const silent = net.createServer((socket) => {
      socket.on('error', () => undefined);
      socket.resume(); // reading is how the server notices the client went away
      closed.push(new Promise((r) => socket.once('close', () => r())));
    });
    const port = await listen(silent);
    try {
      const job = fakeJob();
      const abort = new AbortController();
      const req = new http.ClientRequest({
        protocol: 'https:',
        host: '127.0.0.1',
        port,
        path: '/',
        agent: provider.agentFor(job, 'https:'),
        mdJobId: job.id,
        mdFileIndex: 0,
        mdSignal: abort.signal,
      } as http.ClientRequestArgs);
      req.on('error', () => undefined);
      req.end();
      await waitUntil('the connection to the silent server', () => closed.length > 0);
      abort.abort();
      req.destroy();
      // Without the signal the socket stays open until the 30 s connect limit; the test's own limit is 20 s.
      await within(closed[0], 20_000, 'the stalled handshake to be given up');
    } finally {
      await new Promise((r) => silent.close(r));
    }
  });
});

// The certificate gate runs after the handshake, before the socket has a reader: a server that resets the
// connection while a validator decides must fail that request, not throw an unheard 'error' out of the process
// (the extension host, the CLI). On both data paths.
for (const directHttp of [false, true]) {
  test(`a connection reset while the validator decides fails the request cleanly (${directHttp ? 'direct path' : 'ClientRequest'})`, async (t) => {
    const ca2 = makeCA();
    const leaf2 = makeLeaf(ca2, { hosts: ['127.0.0.1'] });
    let reset!: () => void;
    const wasReset = new Promise<void>((resolve) => (reset = resolve));
    // TLS over a plain TCP server, so that the TCP connection itself can be reset once the handshake is done.
    const context = tls.createSecureContext({ cert: leaf2.cert, key: leaf2.key });
    const server = net.createServer((raw) => {
      raw.on('error', () => undefined);
      const secure = new tls.TLSSocket(raw, { isServer: true, secureContext: context });
      secure.on('error', () => undefined);
      secure.once('secure', () => {
        raw.resetAndDestroy();
        reset();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => server.close());
    const service = new CertificateService({ trust: { includeDefaultRoots: false, extraCaPem: [ca2.cert] } });
    const provider = new GatedConnectionProvider(service, { directHttp });
    t.after(async () => {
      provider.dispose();
      await service.dispose();
    });
    const job = fakeJob({ validator: 'workspace' });
    service.setWorkspaceValidator({
      status: 'loaded',
      file: 'v.ts',
      // Accepts once the server has reset the connection, and the reset has had time to reach the client
      // (a scenario delay: the client's socket reports it on a later turn of the event loop).
      validator: inProcessValidator(async () => {
        await wasReset;
        await new Promise((resolve) => setTimeout(resolve, 100));
        return 0;
      }, 'v.ts'),
    });
    const port = (server.address() as AddressInfo).port;
    await assert.rejects(
      sendGet({
        url: new URL(`https://127.0.0.1:${port}/file`),
        headers: {},
        agent: provider.agentFor(job, 'https:'),
        jobId: job.id,
        fileIndex: 0,
        signal: new AbortController().signal,
      }),
      (err: NodeJS.ErrnoException) => err.code === 'ECONNRESET',
    );
  });
}
