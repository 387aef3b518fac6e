// An https:// proxy for tests: a TLS front (with its own certificate) that forwards the decrypted bytes
// to a plain proxy (tinyproxy). It lets a test show that http.proxyStrictSSL governs the proxy's
// certificate only, while both phases still judge the origin's.
import * as net from 'node:net';
import * as tls from 'node:tls';

export async function startTlsProxyFront(
  cert: string,
  key: string,
  upstreamPort: number,
): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = tls.createServer({ cert, key }, (client) => {
    const upstream = net.connect(upstreamPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: `https://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
