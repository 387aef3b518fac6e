import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bypassesProxy, resolveProxy, type ProxySettings } from '../../../../src/core/net/proxy-settings';
import { Codes } from '../../../../src/core/errors';

describe('proxy settings', () => {
  const target = new URL('https://files.corp.example:8443/a');

  test('http.proxy wins over the environment; HTTPS_PROXY for https, HTTP_PROXY for http and as a fallback', () => {
    assert.equal(resolveProxy(target, { proxy: 'http://setting:1', env: { HTTPS_PROXY: 'http://env:2' } })?.url.host, 'setting:1');
    assert.equal(resolveProxy(target, { env: { HTTPS_PROXY: 'http://env:2', HTTP_PROXY: 'http://plain:3' } })?.url.host, 'env:2');
    assert.equal(resolveProxy(target, { env: { HTTP_PROXY: 'http://plain:3' } })?.url.host, 'plain:3');
    assert.equal(resolveProxy(new URL('http://x/'), { env: { HTTPS_PROXY: 'http://env:2' } }), undefined);
    assert.equal(resolveProxy(target, { env: {} }), undefined);
    assert.equal(resolveProxy(target, { proxy: 'proxy.local:3128', env: {} })?.url.href, 'http://proxy.local:3128/');
  });

  test('credentials: from the URL as Basic, or http.proxyAuthorization as given (which wins)', () => {
    assert.equal(
      resolveProxy(target, { proxy: 'http://a%40b:p%3Ass@p:1', env: {} })?.authorization,
      'Basic ' + Buffer.from('a@b:p:ss').toString('base64'),
    );
    assert.equal(
      resolveProxy(target, { proxy: 'http://u:p@p:1', authorization: 'Negotiate abc', env: {} })?.authorization,
      'Negotiate abc',
    );
    assert.equal(resolveProxy(target, { proxy: 'http://p:1', env: {} })?.strictSSL, true);
    assert.equal(resolveProxy(target, { proxy: 'http://p:1', strictSSL: false, env: {} })?.strictSSL, false);
  });

  test('no-proxy entries: *, exact, domain suffix with or without a dot or *., a port, an IPv4 CIDR', () => {
    const yes = ['*', 'files.corp.example', 'corp.example', '.corp.example', '*.corp.example', 'files.corp.example:8443', ' CORP.example '];
    const no = ['other.example', 'les.corp.example', 'files.corp.example:443', '10.0.0.0/8', ''];
    for (const e of yes) assert.ok(bypassesProxy(target, [e]), e);
    for (const e of no) assert.ok(!bypassesProxy(target, [e]), e);
    const ip = new URL('https://10.1.2.3/');
    assert.ok(bypassesProxy(ip, ['10.0.0.0/8']));
    assert.ok(!bypassesProxy(ip, ['10.2.0.0/16']));
    assert.equal(resolveProxy(target, { proxy: 'http://p:1', noProxy: ['corp.example'], env: {} }), undefined);
    assert.equal(resolveProxy(target, { env: { HTTPS_PROXY: 'http://p:1', no_proxy: 'x.y, .corp.example' } }), undefined);
  });

  test('a malformed proxy is a clear error naming the setting', () => {
    for (const bad of ['http://[nope', 'socks5://p:1']) {
      assert.throws(
        () => resolveProxy(target, { proxy: bad, env: {} }),
        (e: Error & { code?: number }) => e.code === Codes.BG_E_INVALID_PROXY_INFO && /http\.proxy/.test(e.message),
      );
    }
  });

  test('a malformed or unsupported proxy with credentials: the message says what is wrong, with *** for the credentials', () => {
    const cases: [string, RegExp][] = [
      [
        'http://alice:hunter2@[nope',
        /'http:\/\/\*\*\*@\[nope' \(from the setting http\.proxy\) is not a valid URL: its IPv6 address lacks the closing \]/,
      ],
      [
        'socks5://alice:hunter2@p:1',
        /'socks5:\/\/\*\*\*@p:1' \(from the setting http\.proxy\) uses socks5:; only http:\/\/ and https:\/\/ proxies/,
      ],
      ['alice:hunter2@p:99999', /'\*\*\*@p:99999' .* its port is above 65535/],
      ['http://alice:hun/ter2@p:x', /'http:\/\/\*\*\*@p:x' .* not a valid URL/],
    ];
    for (const [proxy, message] of cases) {
      for (const settings of [{ proxy, env: {} }, { env: { HTTPS_PROXY: proxy } }] as ProxySettings[]) {
        assert.throws(
          () => resolveProxy(target, settings),
          (e: Error & { code?: number }) => {
            assert.equal(e.code, Codes.BG_E_INVALID_PROXY_INFO);
            assert.ok(!/hunter2|hun\/ter2|alice/.test(e.message), `the credentials are not echoed: ${e.message}`);
            if (settings.proxy) assert.match(e.message, message);
            else assert.match(e.message, /\(from HTTPS_PROXY\).*Fix HTTPS_PROXY/);
            return true;
          },
        );
      }
    }
  });
});
