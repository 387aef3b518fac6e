// Ports and readiness checks for the servers the scripts start.
import { createServer } from 'node:net';
import { request } from 'node:http';

/** A port that was free on `host` a moment ago (the OS picks it). */
export function freePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** `preferred` when it is free on `host` (so URLs stay the same between runs), else a free port. */
export function preferredOrFreePort(host, preferred) {
  if (!preferred) return freePort(host);
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(freePort(host)));
    server.listen(preferred, host, () => server.close(() => resolve(preferred)));
  });
}

function getStatus(url) {
  return new Promise((resolve) => {
    const req = request(url, { timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** Polls `url` until it answers 200, or throws after `timeoutMs` (with `describe()` in the message). */
export async function waitForHttpOk(url, { timeoutMs = 60000, isAlive = () => true, describe = () => '' } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await getStatus(url)) === 200) return;
    if (!isAlive()) throw new Error(`the server exited before ${url} answered. ${describe()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs / 1000} s. ${describe()}`);
}
