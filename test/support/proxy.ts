// A real HTTP proxy for tests: tinyproxy from Debian, started on loopback with a config written here
// (Basic authentication on), its log read to prove which requests went through it. When tinyproxy is
// missing it is installed with apt-get (CI runs as root); when that fails, the test fails loudly.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TinyProxy {
  port: number;
  /** http://user:pass@127.0.0.1:port */
  urlWithCredentials: string;
  /** http://127.0.0.1:port */
  url: string;
  user: string;
  password: string;
  /** The proxy's log so far (CONNECT and GET lines name each request it carried). */
  log(): string;
  stop(): Promise<void>;
}

function findTinyproxy(): string | undefined {
  for (const p of ['/usr/bin/tinyproxy', '/usr/sbin/tinyproxy', '/usr/local/bin/tinyproxy']) if (existsSync(p)) return p;
  return undefined;
}

export function ensureTinyproxy(): string {
  const found = findTinyproxy();
  if (found) return found;
  try {
    execFileSync('apt-get', ['update'], { stdio: 'ignore', timeout: 300_000 });
    execFileSync('apt-get', ['install', '-y', 'tinyproxy'], {
      stdio: 'ignore',
      timeout: 300_000,
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  } catch (e) {
    throw new Error(
      `tinyproxy is needed for the proxy tests and could not be installed with apt-get (${(e as Error).message}); install it: apt-get install -y tinyproxy`,
    );
  }
  const installed = findTinyproxy();
  if (!installed) throw new Error('apt-get install tinyproxy ran but no tinyproxy binary was found');
  return installed;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function waitForPort(port: number, child: ChildProcess, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`tinyproxy exited with code ${child.exitCode}`));
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`tinyproxy did not listen on ${port} within ${ms} ms`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

export async function startTinyproxy(): Promise<TinyProxy> {
  const binary = ensureTinyproxy();
  const dir = mkdtempSync(join(tmpdir(), 'md-tinyproxy-'));
  const port = await freePort();
  const user = 'md-user';
  const password = 'md-pass-123';
  const logFile = join(dir, 'tinyproxy.log');
  const config = [
    `Port ${port}`,
    'Listen 127.0.0.1',
    'Timeout 60',
    `LogFile "${logFile}"`,
    'LogLevel Info',
    `PidFile "${join(dir, 'tinyproxy.pid')}"`,
    'MaxClients 50',
    'Allow 127.0.0.1',
    `BasicAuth ${user} ${password}`,
    // No ConnectPort line: CONNECT to any port (the test origins listen on ephemeral ports).
    'DisableViaHeader Yes',
    ...(process.getuid?.() === 0 ? ['User root', 'Group root'] : []),
  ].join('\n');
  const configFile = join(dir, 'tinyproxy.conf');
  writeFileSync(configFile, config + '\n');
  const child = spawn(binary, ['-d', '-c', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    await waitForPort(port, child);
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(`${(e as Error).message}\n${stderr}`);
  }
  return {
    port,
    user,
    password,
    url: `http://127.0.0.1:${port}`,
    urlWithCredentials: `http://${user}:${password}@127.0.0.1:${port}`,
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) {
          rmSync(dir, { recursive: true, force: true });
          return resolve();
        }
        child.once('exit', () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
