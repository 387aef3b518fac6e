// Downloads through a real proxy (tinyproxy, Basic authentication): a CONNECT tunnel, then TLS with the
// origin, and both certificate phases judge the origin's certificate, never the proxy's.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { makeCA, makeLeaf, type Issued } from '../../../support/certs';
import { startTinyproxy, type TinyProxy } from '../../../support/proxy';
import { startTlsProxyFront } from '../../../support/proxy-tls';
import { Codes, ErrorContext, httpStatusCode } from '../../../../src/core/errors';
import { CertificateService } from '../../../../src/core/tls/service';
import { GatedConnectionProvider } from '../../../../src/core/net/connection-provider';
import type { ProxySettings } from '../../../../src/core/net/proxy-settings';
import { fakeJob, get, startRecordingServer, type RecordingServer } from '../tls/helpers';

let ca: Issued;
let proxy: TinyProxy;
let origin: RecordingServer;
let untrustedOrigin: RecordingServer;
let originLeaf: Issued;

before(async () => {
  ca = makeCA();
  originLeaf = makeLeaf(ca, { hosts: ['127.0.0.1'] });
  origin = await startRecordingServer(originLeaf.cert, originLeaf.key, { body: 'through the tunnel' });
  const stranger = makeLeaf(makeCA('Not Trusted CA'), { hosts: ['127.0.0.1'] });
  untrustedOrigin = await startRecordingServer(stranger.cert, stranger.key);
  proxy = await startTinyproxy();
});
after(async () => {
  await proxy.stop();
  await origin.close();
  await untrustedOrigin.close();
});

function gate(settings: ProxySettings) {
  const service = new CertificateService({ trust: { includeDefaultRoots: false, extraCaPem: [ca.cert] } });
  const provider = new GatedConnectionProvider(service, { proxy: { env: {}, ...settings } });
  return {
    service,
    provider,
    async dispose() {
      provider.dispose();
      await service.dispose();
    },
  };
}

function tunnelsTo(port: number): number {
  return proxy
    .log()
    .split('\n')
    .filter((l) => l.includes(`CONNECT 127.0.0.1:${port}`)).length;
}

describe('proxies', () => {
  test('https through the proxy with credentials in its URL: tunnelled, and the validator sees the origin and its certificate', async () => {
    const g = gate({ proxy: proxy.urlWithCredentials });
    try {
      const job = fakeJob({ validator: 'api' });
      const seen: { host: string; port: number; sha256: string }[] = [];
      g.service.setJobValidator(job.id, (input) => {
        seen.push({ ...input.endpoint, sha256: input.certificate.sha256 });
        return 0;
      });
      const tunnels = tunnelsTo(origin.port);
      const answer = await get(g.provider.agentFor(job, 'https:'), `https://127.0.0.1:${origin.port}/x`, job.id);
      assert.equal(answer.error, undefined);
      assert.equal(answer.body, 'through the tunnel');
      assert.equal(tunnelsTo(origin.port), tunnels + 1, 'the proxy carried the connection');
      const { X509Certificate } = await import('node:crypto');
      const originSha = new X509Certificate(originLeaf.cert).fingerprint256.replace(/:/g, '').toLowerCase();
      assert.deepEqual(seen, [{ host: '127.0.0.1', port: origin.port, sha256: originSha }]);
    } finally {
      await g.dispose();
    }
  });

  test('phase 1 judges the origin through the tunnel: an untrusted origin is refused, with no request byte sent', async () => {
    const g = gate({ proxy: proxy.urlWithCredentials });
    try {
      const job = fakeJob();
      const answer = await get(g.provider.agentFor(job, 'https:'), `https://127.0.0.1:${untrustedOrigin.port}/x`, job.id);
      assert.equal(answer.error?.code, Codes.ERROR_WINHTTP_SECURE_INVALID_CA);
      assert.equal(untrustedOrigin.received().length, 0);
      assert.equal(tunnelsTo(untrustedOrigin.port), 1);
    } finally {
      await g.dispose();
    }
  });

  test('no credentials: the proxy answers 407 and the error says to set http.proxyAuthorization; the setting fixes it', async () => {
    const without = gate({ proxy: proxy.url });
    const withHeader = gate({
      proxy: proxy.url,
      authorization: 'Basic ' + Buffer.from(`${proxy.user}:${proxy.password}`).toString('base64'),
    });
    try {
      const job = fakeJob();
      const refused = await get(without.provider.agentFor(job, 'https:'), `https://127.0.0.1:${origin.port}/x`, job.id);
      assert.equal(refused.error?.code, httpStatusCode(407));
      assert.equal(refused.error?.context, ErrorContext.GENERAL_TRANSPORT);
      assert.equal(refused.error?.transient, false);
      assert.match(refused.error?.message ?? '', /http\.proxyAuthorization/);
      assert.doesNotMatch(refused.error?.message ?? '', /md-pass/);
      const ok = await get(withHeader.provider.agentFor(job, 'https:'), `https://127.0.0.1:${origin.port}/x`, job.id);
      assert.equal(ok.status, 200);
    } finally {
      await without.dispose();
      await withHeader.dispose();
    }
  });

  test('HTTPS_PROXY from the environment is used; NO_PROXY and http.noProxy send a host direct; http.proxy wins over the environment', async () => {
    const dead = 'http://127.0.0.1:9'; // nothing listens: any use of it fails
    const cases: { settings: ProxySettings; viaProxy: boolean }[] = [
      { settings: { env: { HTTPS_PROXY: proxy.urlWithCredentials } }, viaProxy: true },
      { settings: { env: { https_proxy: proxy.urlWithCredentials } }, viaProxy: true },
      { settings: { env: { HTTPS_PROXY: dead, NO_PROXY: 'example.com,127.0.0.1' } }, viaProxy: false },
      { settings: { env: { HTTPS_PROXY: dead }, noProxy: ['127.0.0.0/8'] }, viaProxy: false },
      { settings: { proxy: proxy.urlWithCredentials, env: { HTTPS_PROXY: dead } }, viaProxy: true },
    ];
    for (const c of cases) {
      const service = new CertificateService({ trust: { includeDefaultRoots: false, extraCaPem: [ca.cert] } });
      const provider = new GatedConnectionProvider(service, { proxy: c.settings });
      try {
        const job = fakeJob();
        const before = tunnelsTo(origin.port);
        const answer = await get(provider.agentFor(job, 'https:'), `https://127.0.0.1:${origin.port}/x`, job.id);
        assert.equal(answer.status, 200, JSON.stringify(c.settings));
        assert.equal(tunnelsTo(origin.port), before + (c.viaProxy ? 1 : 0), JSON.stringify(c.settings));
      } finally {
        provider.dispose();
        await service.dispose();
      }
    }
  });

  test('plain http through the proxy goes in absolute form with the credentials', async () => {
    const server = http.createServer((req, res) => res.end(`plain ${req.url}`));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const g = gate({ env: { HTTP_PROXY: proxy.urlWithCredentials } });
    try {
      const job = fakeJob();
      const answer = await get(g.provider.agentFor(job, 'http:'), `http://127.0.0.1:${port}/plain.txt`, job.id);
      assert.equal(answer.body, 'plain /plain.txt');
      assert.match(proxy.log(), new RegExp(`GET http://127\\.0\\.0\\.1:${port}/plain\\.txt`));
    } finally {
      await g.dispose();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  test('an https proxy: http.proxyStrictSSL governs its own certificate; the origin is still judged by both phases', async () => {
    const proxyCert = makeLeaf(makeCA('Proxy Private CA'), { hosts: ['127.0.0.1'] });
    const front = await startTlsProxyFront(proxyCert.cert, proxyCert.key, proxy.port);
    const strict = gate({ proxy: front.url.replace('https://', `https://${proxy.user}:${proxy.password}@`), strictSSL: true });
    const lax = gate({ proxy: front.url.replace('https://', `https://${proxy.user}:${proxy.password}@`), strictSSL: false });
    try {
      const job = fakeJob({ validator: 'api' });
      let calls = 0;
      lax.service.setJobValidator(job.id, () => (calls++, 0));
      const refused = await get(strict.provider.agentFor(job, 'https:'), `https://127.0.0.1:${origin.port}/x`, job.id);
      assert.equal(refused.error?.code, Codes.BG_E_CONNECT_FAILURE);
      assert.match(refused.error?.message ?? '', /proxyStrictSSL/);
      const ok = await get(lax.provider.agentFor(job, 'https:'), `https://127.0.0.1:${origin.port}/x`, job.id);
      assert.equal(ok.status, 200);
      assert.equal(calls, 1);
      const bad = await get(lax.provider.agentFor(fakeJob(), 'https:'), `https://127.0.0.1:${untrustedOrigin.port}/x`, 'x');
      assert.ok(bad.error);
    } finally {
      await strict.dispose();
      await lax.dispose();
      await front.close();
    }
  });
});
