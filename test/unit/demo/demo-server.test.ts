// The demo HTTPS server `npm start` runs: it must serve exactly the bytes it advertises, over TLS from
// its private CA, with the Range / If-Range / ETag behaviour a resuming client relies on.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemoServer, type DemoServer } from '../../../demo/server';
import { ifRangeMatches, parseRange } from '../../../demo/ranges';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function get(demo: DemoServer, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(`${demo.origin}${path}`, { method, headers, ca: demo.caPem }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('parseRange: one byte range, suffixes, open ends; junk and several ranges mean the whole file', () => {
  assert.deepEqual(parseRange(undefined, 100), { kind: 'full' });
  assert.deepEqual(parseRange('bytes=10-19', 100), { kind: 'partial', start: 10, end: 19 });
  assert.deepEqual(parseRange('bytes=90-', 100), { kind: 'partial', start: 90, end: 99 });
  assert.deepEqual(parseRange('bytes=90-500', 100), { kind: 'partial', start: 90, end: 99 });
  assert.deepEqual(parseRange('bytes=-10', 100), { kind: 'partial', start: 90, end: 99 });
  assert.deepEqual(parseRange('bytes=-500', 100), { kind: 'partial', start: 0, end: 99 });
  assert.deepEqual(parseRange('bytes=100-', 100), { kind: 'unsatisfiable' });
  assert.deepEqual(parseRange('bytes=-0', 100), { kind: 'unsatisfiable' });
  assert.deepEqual(parseRange('bytes=20-10', 100), { kind: 'full' });
  assert.deepEqual(parseRange('bytes=0-1,5-6', 100), { kind: 'full' });
  assert.deepEqual(parseRange('items=0-1', 100), { kind: 'full' });
});

test('ifRangeMatches: strong ETag equality or the exact Last-Modified second', () => {
  const modified = new Date('2025-01-02T03:04:05.678Z');
  assert.equal(ifRangeMatches(undefined, '"a"', modified), true);
  assert.equal(ifRangeMatches('"a"', '"a"', modified), true);
  assert.equal(ifRangeMatches('"b"', '"a"', modified), false);
  assert.equal(ifRangeMatches('W/"a"', '"a"', modified), false);
  assert.equal(ifRangeMatches(modified.toUTCString(), '"a"', modified), true);
  assert.equal(ifRangeMatches(new Date(modified.getTime() + 2000).toUTCString(), '"a"', modified), false);
});

test('the demo server serves its files over TLS from its CA, with ranges, and reuses its state', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'md-demo-test-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  const files = [
    { name: 'a.bin', bytes: 300_000, description: 'a' },
    { name: 'slow.bin', bytes: 64 * 1024, bytesPerSecond: 256 * 1024, description: 'slow' },
  ];
  const demo = await startDemoServer({ host: '127.0.0.2', stateDir, files });
  t.after(() => demo.close());
  assert.match(demo.origin, /^https:\/\/127\.0\.0\.2:\d+$/);

  const sums = (await get(demo, '/SHA256SUMS')).body.toString();
  for (const f of demo.files) assert.ok(sums.includes(`${f.sha256}  ${f.name}`), sums);

  await t.test('a whole file has the advertised length, digest, ETag and Accept-Ranges', async () => {
    const r = await get(demo, '/a.bin');
    assert.equal(r.status, 200);
    assert.equal(r.body.length, 300_000);
    assert.equal(sha256(r.body), demo.files[0].sha256);
    assert.equal(r.headers['accept-ranges'], 'bytes');
    assert.match(String(r.headers.etag), /^"[0-9a-f]{32}"$/);
  });

  const whole = (await get(demo, '/a.bin')).body;
  const etag = String((await get(demo, '/a.bin', {}, 'HEAD')).headers.etag);

  await t.test('a range is answered 206 with exactly those bytes and a Content-Range', async () => {
    const r = await get(demo, '/a.bin', { Range: 'bytes=1000-1999', 'If-Range': etag });
    assert.equal(r.status, 206);
    assert.equal(r.headers['content-range'], 'bytes 1000-1999/300000');
    assert.deepEqual(r.body, whole.subarray(1000, 2000));
    const tail = await get(demo, '/a.bin', { Range: 'bytes=299990-' });
    assert.deepEqual(tail.body, whole.subarray(299_990));
  });

  await t.test('an If-Range that does not match gets the whole file (200)', async () => {
    const r = await get(demo, '/a.bin', { Range: 'bytes=1000-1999', 'If-Range': '"something-else"' });
    assert.equal(r.status, 200);
    assert.equal(r.body.length, 300_000);
  });

  await t.test('a range past the end is 416 with the size; an unknown path is 404; HEAD has no body', async () => {
    const r = await get(demo, '/a.bin', { Range: 'bytes=300000-' });
    assert.equal(r.status, 416);
    assert.equal(r.headers['content-range'], 'bytes */300000');
    assert.equal((await get(demo, '/nope.bin')).status, 404);
    const head = await get(demo, '/a.bin', {}, 'HEAD');
    assert.equal(head.headers['content-length'], '300000');
    assert.equal(head.body.length, 0);
  });

  await t.test('a rate-limited file still arrives whole', async () => {
    const r = await get(demo, '/slow.bin');
    assert.equal(sha256(r.body), demo.files[1].sha256);
  });

  await t.test('a second start reuses the CA and the files', async () => {
    const again = await startDemoServer({ host: '127.0.0.2', stateDir, files });
    try {
      assert.equal(again.caPem, demo.caPem);
      assert.deepEqual(
        again.files.map((f) => f.sha256),
        demo.files.map((f) => f.sha256),
      );
    } finally {
      await again.close();
    }
  });
});
