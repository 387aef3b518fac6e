// A CONNECT tunnel through an HTTP(S) proxy: the socket it yields carries bytes to the origin, so the
// TLS handshake (and both certificate phases) happen with the origin, never with the proxy.
import * as net from 'node:net';
import * as tls from 'node:tls';
import { BitsError, Codes, ErrorContext, httpStatusCode, isTransientStatus } from '../errors';
import { describeProxy, type ResolvedProxy } from './proxy-settings';

const MAX_RESPONSE_HEAD = 16 * 1024;

function proxySocket(proxy: ResolvedProxy, timeoutMs: number): Promise<net.Socket> {
  const host = proxy.url.hostname.replace(/^\[|\]$/g, '');
  const port = proxy.url.port ? Number(proxy.url.port) : proxy.url.protocol === 'https:' ? 443 : 80;
  return new Promise((resolve, reject) => {
    const socket =
      proxy.url.protocol === 'https:'
        ? tls.connect({
            host,
            port,
            servername: net.isIP(host) ? undefined : host,
            rejectUnauthorized: proxy.strictSSL,
            ALPNProtocols: ['http/1.1'],
          })
        : net.connect({ host, port });
    const ready = proxy.url.protocol === 'https:' ? 'secureConnect' : 'connect';
    const timer = setTimeout(() => socket.destroy(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
    socket.once(ready, () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (e) => {
      clearTimeout(timer);
      const strict =
        proxy.url.protocol === 'https:' && /certificate|self.signed|unable to verify/i.test(e.message)
          ? ' (set http.proxyStrictSSL to false to accept a proxy whose own certificate is not trusted)'
          : '';
      reject(
        new BitsError(
          Codes.BG_E_CONNECT_FAILURE,
          `Could not connect to the proxy ${describeProxy(proxy.url)}: ${e.message}${strict}.`,
          ErrorContext.GENERAL_TRANSPORT,
          { transient: true, cause: e },
        ),
      );
    });
  });
}

/** Opens a tunnel to host:port. Resolves with the raw socket, positioned just after the proxy's answer. */
export async function openTunnel(proxy: ResolvedProxy, host: string, port: number, timeoutMs = 30_000): Promise<net.Socket> {
  const socket = await proxySocket(proxy, timeoutMs);
  const authority = net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
  const head = [
    `CONNECT ${authority} HTTP/1.1`,
    `Host: ${authority}`,
    ...(proxy.authorization ? [`Proxy-Authorization: ${proxy.authorization}`] : []),
    '',
    '',
  ].join('\r\n');
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const timer = setTimeout(
      () =>
        fail(
          new BitsError(
            Codes.ERROR_WINHTTP_TIMEOUT,
            `The proxy ${describeProxy(proxy.url)} did not answer CONNECT ${authority} within ${timeoutMs} ms.`,
            ErrorContext.GENERAL_TRANSPORT,
            { transient: true },
          ),
        ),
      timeoutMs,
    );
    const cleanup = () => {
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('error', onError);
      socket.removeListener('close', onClose);
    };
    const fail = (e: Error) => {
      cleanup();
      socket.destroy();
      reject(e);
    };
    const onError = (e: Error) =>
      fail(
        new BitsError(
          Codes.BG_E_CONNECT_FAILURE,
          `The proxy ${describeProxy(proxy.url)} failed during CONNECT ${authority}: ${e.message}.`,
          ErrorContext.GENERAL_TRANSPORT,
          { transient: true, cause: e },
        ),
      );
    const onClose = () =>
      fail(
        new BitsError(
          Codes.BG_E_CONNECTION_CLOSED,
          `The proxy ${describeProxy(proxy.url)} closed the connection during CONNECT ${authority}.`,
          ErrorContext.GENERAL_TRANSPORT,
          { transient: true },
        ),
      );
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buffered.length > MAX_RESPONSE_HEAD)
          fail(
            new BitsError(
              Codes.BG_E_INVALID_SERVER_RESPONSE,
              `The proxy ${describeProxy(proxy.url)} sent an oversized answer to CONNECT.`,
              ErrorContext.GENERAL_TRANSPORT,
              { transient: true },
            ),
          );
        return;
      }
      const statusLine = buffered.subarray(0, buffered.indexOf('\r\n')).toString('latin1');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? NaN);
      if (status !== 200) {
        const auth =
          status === 407
            ? proxy.authorization
              ? ' The proxy refused the credentials: check http.proxyAuthorization or the user:password in the proxy URL.'
              : ' The proxy needs credentials: set http.proxyAuthorization or put user:password in the proxy URL.'
            : '';
        const code = Number.isFinite(status) ? httpStatusCode(status) : Codes.BG_E_INVALID_SERVER_RESPONSE;
        fail(
          new BitsError(
            code,
            `The proxy ${describeProxy(proxy.url)} refused CONNECT ${authority}: ${statusLine || 'no status line'}.${auth}`,
            ErrorContext.GENERAL_TRANSPORT,
            { transient: isTransientStatus(status) },
          ),
        );
        return;
      }
      cleanup();
      socket.pause();
      const rest = buffered.subarray(end + 4);
      if (rest.length > 0) socket.unshift(rest); // bytes of the origin that came with the answer
      resolve(socket);
    };
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
    socket.write(head);
  });
}
