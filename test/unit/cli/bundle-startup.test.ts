// The bundle carries no HTTP library beyond Node's own: axios (and the 29 packages it brings) served no feature
// of the product's GET and cost ~90 KB of the bundle and ~0.25 ms of CPU per request (bench/FINDINGS.md), and
// its fetch probes and form-data loaded undici and a mime database at every start. This builds the CLI as the
// product does and checks, in a real process, that starting it loads neither undici nor form-data, that a
// download still works from the bundle, and that the CLI keeps V8's young generation small (src/cli/heap.ts),
// which bounds its memory during large downloads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { makeCA, makeLeaf } from '../../support/certs';
import { collect, REPO } from '../../support/cli';

test('the bundled CLI starts without loading undici or form-data, downloads over https, and keeps its young generation small', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'md-bundle-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const esbuild = await import('esbuild');
  const { bundleOptions } = (await import(join(REPO, 'esbuild.mjs'))) as { bundleOptions: object };
  await esbuild.build({
    ...bundleOptions,
    absWorkingDir: REPO,
    entryPoints: [{ in: 'src/cli.ts', out: 'cli' }],
    outdir: dir,
    logLevel: 'silent',
  });
  const bundle = readFileSync(join(dir, 'cli.js'), 'utf8');
  assert.ok(!bundle.includes('application/vnd.ms-excel'), 'form-data (and the mime database it brings) is not in the bundle');
  assert.ok(!bundle.includes('AxiosError'), 'axios is not in the bundle');

  const ca = makeCA('Bundle Test CA');
  const leaf = makeLeaf(ca, { hosts: ['127.0.0.1'] });
  const server = https.createServer({ cert: leaf.cert, key: leaf.key }, (_req, res) => res.end('bundled bytes'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, ca.cert);
  // Reports, at exit, the built-in modules this process loaded, and how large V8's young generation is after a
  // burst of allocations with survivors (which grows it to 16 MiB per semi-space unless growth is held back).
  const probe = join(dir, 'probe.cjs');
  writeFileSync(
    probe,
    [
      "process.on('exit', () => {",
      '  const kept = [];',
      '  for (let i = 0; i < 3e6; i++) { kept.push({ i }); if (kept.length > 1e5) kept.length = 0; }',
      "  const newSpace = require('v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;",
      "  require('fs').writeFileSync(process.env.PROBE_OUT, JSON.stringify({ modules: process.moduleLoadList, newSpace }));",
      '});',
      '',
    ].join('\n'),
  );
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/file.txt`;
  const child = spawn(
    process.execPath,
    ['-r', probe, join(dir, 'cli.js'), 'get', url, '--dest', join(dir, 'out'), '--store', join(dir, 'store'), '--json'],
    {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile, PROBE_OUT: join(dir, 'loaded.json') },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const result = await collect(child);
  assert.equal(result.code, 0, `the bundled CLI downloads: ${result.stderr}`);
  assert.equal(readFileSync(join(dir, 'out', 'file.txt'), 'utf8'), 'bundled bytes');
  const cli = JSON.parse(readFileSync(join(dir, 'loaded.json'), 'utf8')) as { modules: string[]; newSpace: number };
  assert.deepEqual(
    cli.modules.filter((m) => /undici/.test(m)),
    [],
    'undici was not loaded',
  );

  // The same allocations in a plain Node process grow the young generation: the check below can fail.
  const plain = await collect(
    spawn(process.execPath, ['-r', probe, '-e', '0'], {
      env: { ...process.env, PROBE_OUT: join(dir, 'plain.json') },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  assert.equal(plain.code, 0, plain.stderr);
  const grown = (JSON.parse(readFileSync(join(dir, 'plain.json'), 'utf8')) as { newSpace: number }).newSpace;
  assert.ok(grown > 4 << 20, `a plain process's young generation grew (${grown} bytes)`);
  assert.ok(cli.newSpace <= 4 << 20, `the CLI's stayed small (${cli.newSpace} bytes, against ${grown})`);
});
