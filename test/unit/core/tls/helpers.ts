// Real TLS servers on loopback for the certificate gate's tests: each records every byte it receives
// after the handshake, so a test can prove that a refused connection carried no request byte.
import * as http from 'node:http';
import * as tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { JobPriority, JobState, type JobSnapshot, type ValidatorSource } from '../../../../src/core/model/job';

export interface RecordingServer {
  host: string;
  port: number;
  /** Every byte received after the TLS handshake, over all connections. */
  received(): Buffer;
  connections: number;
  requests: number;
  /** Swap the certificate served to new connections. */
  setCertificate(cert: string, key: string, chain?: string[]): void;
  close(): Promise<void>;
}

/** A minimal HTTPS server: answers each request head with `body`, keeps connections alive. */
export async function startRecordingServer(
  cert: string,
  key: string,
  options: { chain?: string[]; host?: string; body?: string } = {},
): Promise<RecordingServer> {
  const host = options.host ?? '127.0.0.1';
  const body = options.body ?? 'hello';
  const chunks: Buffer[] = [];
  const sockets = new Set<tls.TLSSocket>();
  let context = tls.createSecureContext({ cert: [cert, ...(options.chain ?? [])].join('\n'), key });
  const state = { connections: 0, requests: 0 };
  const server = tls.createServer(
    { SNICallback: (_name, cb) => cb(null, context), cert: [cert, ...(options.chain ?? [])].join('\n'), key },
    (socket) => {
      state.connections++;
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
      let pending = Buffer.alloc(0);
      socket.on('data', (d: Buffer) => {
        chunks.push(d);
        pending = Buffer.concat([pending, d]);
        let end: number;
        while ((end = pending.indexOf('\r\n\r\n')) >= 0) {
          pending = pending.subarray(end + 4);
          state.requests++;
          socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: keep-alive\r\n\r\n${body}`);
        }
      });
    },
  );
  await new Promise<void>((r) => server.listen(0, host, r));
  const port = (server.address() as AddressInfo).port;
  return {
    host,
    port,
    received: () => Buffer.concat(chunks),
    get connections() {
      return state.connections;
    },
    get requests() {
      return state.requests;
    },
    // An IP host sends no SNI, so the default context must follow too.
    setCertificate(c, k, chain) {
      context = tls.createSecureContext({ cert: [c, ...(chain ?? [])].join('\n'), key: k });
      server.setSecureContext({ cert: [c, ...(chain ?? [])].join('\n'), key: k });
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

let jobCounter = 0;

export function fakeJob(overrides: Partial<JobSnapshot> & { validator?: ValidatorSource } = {}): JobSnapshot {
  const now = new Date().toISOString();
  const id = overrides.id ?? `job-${++jobCounter}-${process.pid}`;
  return {
    id,
    displayName: `test job ${id}`,
    description: '',
    priority: JobPriority.NORMAL,
    owner: 'test',
    state: JobState.CONNECTING,
    files: [
      {
        remoteUrl: 'https://127.0.0.1/file',
        localPath: '/tmp/file',
        tempPath: '/tmp/.file.tmp',
        bytesTotal: null,
        bytesTransferred: 0,
        transferred: false,
      },
    ],
    times: { created: now, modified: now },
    minimumRetryDelay: 5,
    noProgressTimeout: 0,
    securityFlags: 0,
    customHeaders: {},
    validator: 'none',
    ...overrides,
  };
}

export interface Answer {
  status?: number;
  body?: string;
  error?: Error & { code?: number | string; context?: number; transient?: boolean };
}

/** One GET the way the engine makes it: new http.ClientRequest with the job's agent and its ids. */
export function get(agent: http.Agent, url: string, jobId: string, fileIndex = 0): Promise<Answer> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const req = new http.ClientRequest(
      {
        protocol: u.protocol,
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        agent,
        mdJobId: jobId,
        mdFileIndex: fileIndex,
      } as http.ClientRequestArgs,
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(parts).toString() }));
      },
    );
    req.on('error', (error) => resolve({ error }));
    req.end();
  });
}
