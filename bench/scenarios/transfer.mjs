// Scenarios 1-3 of issue 8: bytes over HTTPS from nginx to disk, ours against curl and aria2c.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { aria2List, aria2One, curlOne, curlParallel, nodeBaseline, nodeOnread, nodeRange2, nodeSmallLoop, ours } from './clients.mjs';

const MiB = 1024 * 1024;

export function largeFile(ctx) {
  const f = ctx.fixtures.large;
  const url = `https://127.0.0.1:${ctx.nginx.fastPort}/${f.path}`;
  return {
    id: 'large',
    title: `1. One ${f.size / MiB} MiB file over HTTPS (nginx on loopback to disk)`,
    bytes: f.size,
    reps: ctx.reps,
    timeoutMs: 300_000,
    expected: [f],
    reference: 'ours',
    clients: [
      ours(ctx.ours.cli, [url], ctx.caFile),
      ours(ctx.ours.engine, [url], ctx.caFile, 'ours-engine'),
      ours(ctx.ours.cli, [url], ctx.caFile, 'ours-node24', ctx.node24),
      curlOne(url, f.name),
      aria2One(url, 1),
      nodeBaseline('plain', url, f.name, ctx.caFile),
      nodeBaseline('tuned', url, f.name, ctx.caFile),
      nodeRange2(url, f.name, ctx.caFile),
      nodeRange2(url, f.name, ctx.caFile, ctx.node24, true),
      nodeOnread(url, f.name, ctx.caFile),
      nodeOnread(url, f.name, ctx.caFile, ctx.node24, true),
    ],
  };
}

export function smallFiles(ctx) {
  const files = ctx.fixtures.small;
  const urls = files.map((f) => `https://127.0.0.1:${ctx.nginx.fastPort}/${f.path}`);
  const listFile = join(ctx.workDir, 'small-urls.txt');
  writeFileSync(listFile, urls.join('\n') + '\n');
  const c = ctx.smallConcurrency;
  const clients = [
    ours(ctx.ours.cli, urls, ctx.caFile),
    ours(ctx.ours.engine, urls, ctx.caFile, 'ours-engine'),
    ours(ctx.ours.cli, urls, ctx.caFile, 'ours-node24', ctx.node24),
    aria2List(listFile, c),
    curlParallel(urls, c),
  ];
  // Plain Node one file at a time (issue 17); concurrency 1 only, as BITS takes a job's files.
  if (c === 1)
    for (const kind of ['keepalive', 'onread-loop'])
      for (const node24Wanted of [false, true])
        for (const ahead of [false, true])
          clients.push(nodeSmallLoop(kind, listFile, ctx.caFile, { ahead, node: node24Wanted ? ctx.node24 : undefined, node24Wanted }));
  if (c !== 5) clients.push(aria2List(listFile, 5));
  return {
    id: 'small',
    title: `2. ${files.length} files of ${files[0].size / 1024} KiB in one job (concurrency ${c}, as ours)`,
    bytes: files.reduce((s, f) => s + f.size, 0),
    reps: ctx.reps,
    timeoutMs: 300_000,
    expected: files,
    reference: 'ours',
    clients,
  };
}

export function cappedServer(ctx) {
  const f = ctx.fixtures.capped;
  const port = ctx.latencyProxyPort ?? ctx.nginx.cappedPort;
  const url = `https://127.0.0.1:${port}/${f.path}`;
  const latency = ctx.latencyMs ? `, behind a ${ctx.latencyMs} ms-each-way latency proxy` : '';
  return {
    id: 'capped',
    title: `3. A server capping each connection at 20 MB/s (nginx limit_rate 20m${latency}), one ${f.size / MiB} MiB file`,
    bytes: f.size,
    reps: ctx.reps,
    timeoutMs: 300_000,
    expected: [f],
    reference: 'ours',
    clients: [
      ours(ctx.ours.cli, [url], ctx.caFile),
      ours(ctx.ours.engine, [url], ctx.caFile, 'ours-engine'),
      curlOne(url, f.name),
      aria2One(url, 8),
    ],
  };
}
