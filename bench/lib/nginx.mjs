// The reference server: nginx over TLS on 127.0.0.1 with a certificate made at run time, serving the
// fixtures from two server blocks: one at full speed, one that caps each connection (limit_rate 20m).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function waitForPort(port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

function config({ prefix, docRoot, certDir, fastPort, cappedPort, capRate }) {
  // Running as root, workers keep root so they can read the fixtures wherever the clone lives.
  const user = process.getuid?.() === 0 ? 'user root;\n' : '';
  return `${user}worker_processes 2;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  default_type application/octet-stream;
  # sendfile cannot carry TLS without kernel TLS (absent here); nginx then reads and encrypts in user space.
  sendfile on;
  tcp_nopush on;
  output_buffers 2 256k;
  keepalive_requests 100000;
  keepalive_timeout 60s;
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
  ssl_certificate ${certDir}/server.pem;
  ssl_certificate_key ${certDir}/server.key;
  ssl_protocols TLSv1.2 TLSv1.3;
  ssl_session_cache shared:bench:10m;
  server {
    listen 127.0.0.1:${fastPort} ssl;
    root ${docRoot};
  }
  server {
    listen 127.0.0.1:${cappedPort} ssl;
    root ${docRoot};
    limit_rate ${capRate};
  }
}
`;
}

/** Starts nginx in the foreground as our child; returns its ports and a stop(). */
export async function startNginx({ workDir, docRoot, certDir, capRate = '20m' }) {
  const prefix = join(workDir, 'nginx');
  mkdirSync(join(prefix, 'tmp'), { recursive: true });
  const fastPort = await freePort();
  const cappedPort = await freePort();
  const confPath = join(prefix, 'nginx.conf');
  writeFileSync(confPath, config({ prefix, docRoot, certDir, fastPort, cappedPort, capRate }));
  const check = spawnSync('nginx', ['-t', '-q', '-p', prefix, '-e', join(prefix, 'error.log'), '-c', confPath], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`nginx rejects its config ${confPath}:\n${check.stderr}`);
  const child = spawn('nginx', ['-p', prefix, '-e', join(prefix, 'error.log'), '-c', confPath, '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    await Promise.race([
      Promise.all([waitForPort(fastPort, 10_000), waitForPort(cappedPort, 10_000)]),
      exited.then((code) => Promise.reject(new Error(`nginx exited (${code}) at start: ${stderr}`))),
    ]);
  } catch (err) {
    child.kill('SIGTERM');
    throw err;
  }
  return {
    fastPort,
    cappedPort,
    errorLog: join(prefix, 'error.log'),
    async stop() {
      if (child.exitCode !== null) return;
      // SIGQUIT: graceful shutdown of master and workers.
      child.kill('SIGQUIT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
    errors() {
      return existsSync(join(prefix, 'error.log')) ? readFileSync(join(prefix, 'error.log'), 'utf8') : '';
    },
  };
}
