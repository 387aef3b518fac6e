// The demo HTTPS server `npm start` runs: a private CA (node-forge), a few files of different sizes (one
// large and slow enough to watch), on 127.0.0.2 rather than 127.0.0.1, because VS Code routes requests
// to hosts other than localhost and 127.0.0.1 differently and the demo should take the path real hosts
// take. Run as a program it prints one line `DEMO_SERVER_READY {json}` when it listens, and stops
// cleanly on SIGINT or SIGTERM.
//
// usage: node --import tsx demo/server.ts [--host 127.0.0.2] [--port N (0: a free one)] [--state DIR]
import { createServer, type Server } from 'node:https';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { AddressInfo } from 'node:net';
import { defaultDemoFiles, ensureDemoFiles, type DemoFileSpec } from './files';
import { demoRequestHandler } from './handler';
import { demoCertificates } from './tls';

export interface DemoServerOptions {
  host?: string;
  /** 0 (default): a free port. */
  port?: number;
  /** Where the certificates and files are kept between starts. */
  stateDir?: string;
  files?: DemoFileSpec[];
  log?: (line: string) => void;
}

export interface DemoServer {
  origin: string;
  host: string;
  port: number;
  caPem: string;
  caFile: string;
  files: { name: string; url: string; bytes: number; sha256: string; description: string }[];
  close(): Promise<void>;
  server: Server;
}

export const defaultStateDir = join(process.env.MANAGED_DOWNLOADS_CACHE ?? join(homedir(), '.cache', 'managed-downloads'), 'demo-server');

export async function startDemoServer(options: DemoServerOptions = {}): Promise<DemoServer> {
  const host = options.host ?? '127.0.0.2';
  const stateDir = options.stateDir ?? defaultStateDir;
  const certs = demoCertificates(join(stateDir, 'tls'), [host, 'localhost']);
  const files = await ensureDemoFiles(join(stateDir, 'files'), options.files ?? defaultDemoFiles);
  const server = createServer({ cert: certs.certPem, key: certs.keyPem }, demoRequestHandler(files, options.log));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `https://${host}:${port}`;
  return {
    origin,
    host,
    port,
    caPem: certs.caPem,
    caFile: certs.caFile,
    files: files.map((f) => ({
      name: f.name,
      url: `${origin}/${encodeURIComponent(f.name)}`,
      bytes: f.bytes,
      sha256: f.sha256,
      description: f.description,
    })),
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { host: { type: 'string' }, port: { type: 'string' }, state: { type: 'string' }, quiet: { type: 'boolean' } },
  });
  const demo = await startDemoServer({
    host: values.host,
    port: values.port ? Number(values.port) : 0,
    stateDir: values.state,
    log: values.quiet ? undefined : (line) => console.error(`[demo-server] ${line}`),
  });
  const stop = () => {
    void demo.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const { server: _server, close: _close, ...ready } = demo;
  console.log(`DEMO_SERVER_READY ${JSON.stringify(ready)}`);
}

if (process.argv[1] && /demo[\\/]server\.ts$/.test(process.argv[1])) {
  main().catch((e: unknown) => {
    console.error(`demo server: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
