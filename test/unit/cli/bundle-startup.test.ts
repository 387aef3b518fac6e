// The bundle leaves out parts of axios the product never uses (esbuild.mjs, plugin unused-axios-parts):
// loading them cost every start. This builds the CLI as the product does and checks, in a real process,
// that starting it no longer loads Node's undici (pulled in by axios's fetch probes) or form-data, and that a
// download through axios's http adapter still works from the bundle.
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

test('the bundled CLI starts without loading undici or form-data, and downloads over https', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'md-bundle-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const esbuild = await import('esbuild');
  const { bundleOptions } = (await import(join(REPO, 'esbuild.mjs'))) as { bundleOptions: object };
  await esbuild.build({ ...bundleOptions, absWorkingDir: REPO, entryPoints: [{ in: 'src/cli.ts', out: 'cli' }], outdir: dir, logLevel: 'silent' });
  const bundle = readFileSync(join(dir, 'cli.js'), 'utf8');
  assert.ok(!bundle.includes('application/vnd.ms-excel'), 'form-data (and the mime database it brings) is not in the bundle');

  const ca = makeCA('Bundle Test CA');
  const leaf = makeLeaf(ca, { hosts: ['127.0.0.1'] });
  const server = https.createServer({ cert: leaf.cert, key: leaf.key }, (_req, res) => res.end('bundled bytes'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, ca.cert);
  // Reports, at exit, the built-in modules this process loaded.
  const probe = join(dir, 'probe.cjs');
  writeFileSync(probe, "process.on('exit', () => require('fs').writeFileSync(process.env.PROBE_OUT, JSON.stringify(process.moduleLoadList)));\n");
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/file.txt`;
  const child = spawn(process.execPath, ['-r', probe, join(dir, 'cli.js'), 'get', url, '--dest', join(dir, 'out'), '--store', join(dir, 'store'), '--json'], {
    env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile, PROBE_OUT: join(dir, 'loaded.json') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const result = await collect(child);
  assert.equal(result.code, 0, `the bundled CLI downloads: ${result.stderr}`);
  assert.equal(readFileSync(join(dir, 'out', 'file.txt'), 'utf8'), 'bundled bytes');
  const loaded = JSON.parse(readFileSync(join(dir, 'loaded.json'), 'utf8')) as string[];
  assert.deepEqual(loaded.filter((m) => /undici/.test(m)), [], 'undici was not loaded');
});
