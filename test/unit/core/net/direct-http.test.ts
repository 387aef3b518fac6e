// The direct data path (own HTTP/1.1 on gated `onread` sockets): framing, keep-alive across a job's files,
// connections the server closes, truncated bodies that resume, hostile answer heads, and the certificate gate
// before any request byte. Real loopback servers that write their answers byte by byte as the test says.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import { BitsError, Codes } from '../../../../src/core/errors';
import { JobState } from '../../../../src/core/model/job';
import { GatedConnectionProvider } from '../../../../src/core/net/connection-provider';
import type { GatedAgent } from '../../../../src/core/net/gated-agent';
import { CertificateService, inProcessValidator } from '../../../../src/core/tls/service';
import { sendGet } from '../../../../src/core/transfer/http-client';
import { makeCA, makeLeaf } from '../../../support/certs';
import { engineForTest, startJob, waitForState } from '../../../support/engine';
import { testBytes } from '../../../support/servers';
import { fakeJob, startRecordingServer } from '../tls/helpers';

interface RawRequest {
  path: string;
  head: string;
  /** 1 for the first request on its connection. */
  onConnection: number;
}

/** What the server does with one request: bytes to write, then close the connection or keep it. */
type Reply = { send: (Buffer | string)[]; close?: boolean } | 'hang-up';

/** A plain HTTP server on loopback whose answers are written as given, so framing and heads can be anything. */
async function rawServer(t: TestContext, reply: (request: RawRequest) => Reply) {
  const state = { connections: 0, requests: [] as RawRequest[] };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let pending = Buffer.alloc(0);
    let onConnection = 0;
    socket.on('data', (data: Buffer) => {
      pending = Buffer.concat([pending, data]);
      for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
        const head = pending.subarray(0, end).toString('latin1');
        pending = pending.subarray(end + 4);
        const request = { path: head.split(' ')[1], head, onConnection: ++onConnection };
        state.requests.push(request);
        const answer = reply(request);
        if (answer === 'hang-up') return void socket.destroy();
        for (const part of answer.send) socket.write(part);
        if (answer.close) socket.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  t.after(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return { state, url: (p: string) => `${origin}${p}` };
}

function ok(body: Buffer, extra = ''): (Buffer | string)[] {
  return [`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n${extra}\r\n`, body];
}

async function gatedEngine(t: TestContext, options: { bandwidthLimit?: number } = {}) {
  const service = new CertificateService({ trust: { includeDefaultRoots: false, extraCaPem: [] } });
  const ref: { engine?: { getJob(id: string): ReturnType<typeof fakeJob> | undefined } } = {};
  const provider = new GatedConnectionProvider(service, { jobLookup: (id) => ref.engine?.getJob(id), directHttp: true });
  const { box, engine } = await engineForTest(t, { connections: provider, ...options });
  ref.engine = engine;
  t.after(async () => {
    provider.dispose();
    await service.dispose();
  });
  const directOf = (jobId: string) => (provider.agentFor(engine.getJob(jobId)!, 'http:') as GatedAgent).direct!;
  return { box, engine, provider, directOf };
}

test('a chunked body (extensions, trailers) arrives byte-exact over the direct path', async (t) => {
  const body = testBytes(300_000, 7);
  const server = await rawServer(t, () => {
    const parts: (Buffer | string)[] = ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'];
    for (let at = 0, size = 1; at < body.length; at += size, size = size * 3 + 1) {
      const piece = body.subarray(at, at + size);
      parts.push(`${piece.length.toString(16)};ext=1\r\n`, piece, '\r\n');
    }
    parts.push('0\r\nX-Trailer: yes\r\n\r\n');
    return { send: parts };
  });
  const { box, engine, directOf } = await gatedEngine(t);
  const job = await startJob(engine, box, [{ url: server.url('/chunked'), name: 'chunked.bin' }]);
  await waitForState(engine, job.id, JobState.TRANSFERRED);
  await engine.complete(job.id);
  assert.ok(readFileSync(path.join(box.dest, 'chunked.bin')).equals(body));
  assert.equal(directOf(job.id).opened, 1, 'the direct path carried it');
});

test('under a bandwidth limit a direct body goes on through the batched receiver, byte-exact', async (t) => {
  const body = testBytes(1_500_000, 11);
  const server = await rawServer(t, () => ({ send: ok(body) }));
  const { box, engine, directOf } = await gatedEngine(t, { bandwidthLimit: 8 << 20 });
  const job = await startJob(engine, box, [{ url: server.url('/limited'), name: 'limited.bin' }]);
  await waitForState(engine, job.id, JobState.TRANSFERRED);
  await engine.complete(job.id);
  assert.ok(readFileSync(path.join(box.dest, 'limited.bin')).equals(body));
  assert.equal(directOf(job.id).opened, 1);
});

test('keep-alive: the files of one job reuse their direct connections', async (t) => {
  // Small files: the next one asks as soon as the current answer comes in, over a second connection of the pool
  // (job-runner.ts); files over 1 MiB ask once the previous body has arrived, on the connection it freed.
  const bodies = [
    ...Array.from({ length: 12 }, (_, i) => testBytes(1000 + i * 997, i + 1)),
    ...Array.from({ length: 3 }, (_, i) => testBytes((1 << 20) + 1000 * (i + 1), i + 20)),
  ];
  const server = await rawServer(t, (r) => ({ send: ok(bodies[Number(r.path.slice(3))]) }));
  const { box, engine, directOf } = await gatedEngine(t);
  const small = await startJob(
    engine,
    box,
    bodies.slice(0, 12).map((_, i) => ({ url: server.url(`/f/${i}`), name: `f${i}.bin` })),
  );
  await waitForState(engine, small.id, JobState.TRANSFERRED);
  await engine.complete(small.id);
  bodies.slice(0, 12).forEach((b, i) => assert.ok(readFileSync(path.join(box.dest, `f${i}.bin`)).equals(b), `file ${i}`));
  assert.equal(server.state.requests.length, 12);
  assert.ok(server.state.connections <= 2, `${server.state.connections} connections for 12 files`);
  assert.equal(directOf(small.id).opened, server.state.connections);

  const before = server.state.connections;
  const large = await startJob(
    engine,
    box,
    [12, 13, 14].map((i) => ({ url: server.url(`/f/${i}`), name: `f${i}.bin` })),
  );
  await waitForState(engine, large.id, JobState.TRANSFERRED);
  await engine.complete(large.id);
  [12, 13, 14].forEach((i) => assert.ok(readFileSync(path.join(box.dest, `f${i}.bin`)).equals(bodies[i]), `file ${i}`));
  assert.equal(server.state.connections - before, 1, 'one connection for the three large files');
});

test('`Connection: close` and close-delimited bodies: byte-exact, and the connection is not reused', async (t) => {
  const bodies = [testBytes(5000, 3), testBytes(70_000, 4), testBytes(9000, 5), testBytes(1, 6)];
  const server = await rawServer(t, (r) => {
    const i = Number(r.path.slice(3));
    return i % 2 === 0
      ? { send: ok(bodies[i], 'Connection: close\r\n'), close: true }
      : { send: ['HTTP/1.1 200 OK\r\n\r\n', bodies[i]], close: true };
  });
  const { box, engine, directOf } = await gatedEngine(t);
  const job = await startJob(
    engine,
    box,
    bodies.map((_, i) => ({ url: server.url(`/f/${i}`), name: `f${i}.bin` })),
  );
  await waitForState(engine, job.id, JobState.TRANSFERRED);
  await engine.complete(job.id);
  bodies.forEach((b, i) => assert.ok(readFileSync(path.join(box.dest, `f${i}.bin`)).equals(b), `file ${i}`));
  assert.equal(server.state.connections, bodies.length);
  assert.ok(
    server.state.requests.every((r) => r.onConnection === 1),
    'no request on a closed connection',
  );
  assert.equal(directOf(job.id).opened, bodies.length);
});

test('a body shorter than its Content-Length resumes from the bytes written and ends byte-exact', async (t) => {
  const body = testBytes(200_000, 9);
  const cut = 123_457;
  const server = await rawServer(t, (r) => {
    const range = /\r\nRange: bytes=(\d+)-/i.exec(r.head);
    if (!range)
      return { send: [`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nETag: "v1"\r\n\r\n`, body.subarray(0, cut)], close: true };
    const from = Number(range[1]);
    return {
      send: [
        `HTTP/1.1 206 Partial Content\r\nContent-Length: ${body.length - from}\r\nContent-Range: bytes ${from}-${body.length - 1}/${body.length}\r\nETag: "v1"\r\n\r\n`,
        body.subarray(from),
      ],
    };
  });
  const { box, engine, directOf } = await gatedEngine(t);
  const job = await startJob(engine, box, [{ url: server.url('/short'), name: 'short.bin' }]);
  await waitForState(engine, job.id, JobState.TRANSFERRED);
  await engine.complete(job.id);
  assert.ok(readFileSync(path.join(box.dest, 'short.bin')).equals(body));
  assert.match(server.state.requests[1].head, new RegExp(`Range: bytes=${cut}-`, 'i'), 'resumed from the counted bytes');
  assert.ok(directOf(job.id).opened >= 2);
});

for (const [name, send, message] of [
  [
    'an oversize head',
    ['HTTP/1.1 200 OK\r\n', `X-Big: ${'a'.repeat(17_000)}\r\n`, 'Content-Length: 1\r\n\r\nx'],
    /longer than 16384 bytes/,
  ],
  ['a bad status line', ['HTTP/1.1 2000 OK\r\nContent-Length: 1\r\n\r\nx'], /bad status line/],
  ['conflicting Content-Length', ['HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!'], /conflicting Content-Length/],
  [
    'Transfer-Encoding with Content-Length',
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n'],
    /both Transfer-Encoding and Content-Length/,
  ],
  ['a folded header line', ['HTTP/1.1 200 OK\r\nX-A: 1\r\n  folded\r\nContent-Length: 1\r\n\r\nx'], /obs-fold/],
  ['a bad chunk size', ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n'], /bad chunk size/],
] as const) {
  test(`${name}: a clear error, and no file shown as complete`, async (t) => {
    const server = await rawServer(t, () => ({ send: [...send], close: true }));
    const { box, engine } = await gatedEngine(t);
    const job = await startJob(engine, box, [{ url: server.url('/bad'), name: 'bad.bin' }]);
    const failed = await waitForState(engine, job.id, [JobState.TRANSIENT_ERROR, JobState.ERROR]);
    assert.equal(failed.error?.code, Codes.BG_E_INVALID_SERVER_RESPONSE, failed.error?.description);
    assert.match(failed.error?.description ?? '', message);
    assert.equal(failed.files[0].transferred, false);
    assert.equal(existsSync(path.join(box.dest, 'bad.bin')), false);
  });
}

/** A job's agent for plain HTTP on the direct path (no certificates involved), removed when the test ends. */
function plainAgent(t: TestContext) {
  const service = new CertificateService({ trust: { includeDefaultRoots: false, extraCaPem: [] } });
  const provider = new GatedConnectionProvider(service, { directHttp: true });
  t.after(async () => {
    provider.dispose();
    await service.dispose();
  });
  const job = fakeJob();
  return { job, agent: provider.agentFor(job, 'http:') as GatedAgent };
}

test('a pooled connection the server dropped is replaced: once when seen closed, once when it fails unanswered', async (t) => {
  const body = testBytes(4000, 2);
  // The first file's connection is closed by the server after its answer (no Connection: close said); the
  // second connection is kept, but the server hangs up on its second request without a byte of answer.
  const server = await rawServer(t, (r) => {
    if (server.state.connections === 1) return { send: ok(body), close: true };
    return r.onConnection === 1 ? { send: ok(body) } : 'hang-up';
  });
  const { job, agent } = plainAgent(t);
  const get = async () => {
    const answer = await sendGet({
      url: new URL(server.url('/f')),
      headers: {},
      agent,
      jobId: job.id,
      fileIndex: 0,
      signal: new AbortController().signal,
    });
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      const body = answer.body as import('../../../../src/core/net/direct-body').DirectBody;
      body.start({ data: (s) => chunks.push(Buffer.from(s)), end: resolve, error: reject });
    });
    return Buffer.concat(chunks);
  };
  assert.ok((await get()).equals(body));
  assert.ok((await get()).equals(body), 'a new connection replaced the closed one');
  assert.ok((await get()).equals(body), 'the request the server hung up on went again on a new connection');
  assert.equal(server.state.connections, 3);
  assert.equal(agent.direct!.opened, 3);
});

test('a request head with CR or LF in a header value is refused before anything is sent', async (t) => {
  const server = await rawServer(t, () => ({ send: ok(Buffer.from('x')) }));
  const { job, agent } = plainAgent(t);
  await assert.rejects(
    sendGet({
      url: new URL(server.url('/f')),
      headers: { 'X-Evil': 'a\r\nHost: b' },
      agent,
      jobId: job.id,
      fileIndex: 0,
      signal: new AbortController().signal,
    }),
    (err: NodeJS.ErrnoException) => err.code === 'ERR_INVALID_CHAR',
  );
  assert.equal(server.state.connections, 0);
  assert.equal(agent.direct!.opened, 0);
});

test('the certificate gate runs on direct connections before any request byte', async (t) => {
  const ca = makeCA();
  const leaf = makeLeaf(ca, { hosts: ['127.0.0.1'] });
  const server = await startRecordingServer(leaf.cert, leaf.key);
  t.after(() => server.close());
  const service = new CertificateService({ trust: { includeDefaultRoots: false, extraCaPem: [ca.cert] } });
  const provider = new GatedConnectionProvider(service, { directHttp: true });
  t.after(async () => {
    provider.dispose();
    await service.dispose();
  });
  const job = fakeJob({ validator: 'workspace' });
  const url = new URL(`https://127.0.0.1:${server.port}/file`);
  const get = () =>
    sendGet({
      url,
      headers: {},
      agent: provider.agentFor(job, 'https:'),
      jobId: job.id,
      fileIndex: 0,
      signal: new AbortController().signal,
    });
  service.setWorkspaceValidator({ status: 'loaded', file: 'v.ts', validator: inProcessValidator(() => 0, 'v.ts') });
  const accepted = await get();
  assert.equal(accepted.status, 200);
  accepted.body.destroy();
  assert.equal((provider.agentFor(job, 'https:') as GatedAgent).direct!.opened, 1, 'the direct path made the connection');
  service.setWorkspaceValidator({
    status: 'loaded',
    file: 'v.ts',
    validator: inProcessValidator(() => ({ code: 0x800b0109, reason: 'declines everything' }), 'v.ts'),
  });
  provider.closeJobConnections(job.id);
  const bytes = server.received().length;
  await assert.rejects(get(), (err: BitsError) => err.code === 0x800b0109);
  assert.equal(server.received().length, bytes, 'no request byte reached the server');
});
