// The rejection log: every unsuccessful attempt, counted per endpoint, kept across restarts, bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RejectionLog } from '../../../../src/core/tls/rejection-log';

function entry(endpoint: string, n: number) {
  return {
    jobId: 'j1',
    endpoint,
    certSha256: `sha${n % 3}`,
    subject: 'CN=x',
    issuer: 'CN=ca',
    phase: 'validator' as const,
    code: 0x800b0109,
    reason: `r${n}`,
  };
}

test('records, counts per endpoint, survives a reopen, stays bounded, and skips a torn last line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'md-rejections-'));
  const file = join(dir, 'store', 'rejections.jsonl');
  try {
    const log = new RejectionLog({ file, maxEntries: 10 });
    const seen: string[] = [];
    log.onDidRecord((r) => seen.push(r.reason));
    log.record({ ...entry('one-off.example:443', 0), phase: 'platform', code: 0x80072f0d });
    for (let i = 0; i < 45; i++) log.record(entry('flood.example:443', i));
    await log.flush();
    assert.equal(seen.length, 46);
    const [flood, oneOff] = log.endpoints();
    assert.equal(flood.endpoint, 'flood.example:443');
    assert.equal(flood.count, 45);
    assert.deepEqual(flood.certificates.sort(), ['sha0', 'sha1', 'sha2']);
    assert.equal(flood.byPhase.validator, 45);
    assert.equal(oneOff.count, 1);
    assert.equal(oneOff.byPhase.platform, 1);
    assert.equal(log.entries().length, 10, 'entries in memory are bounded');
    assert.equal(log.entries()[9].codeName, '0x800b0109');
    assert.equal(new RejectionLog().record({ ...entry('x:1', 0), code: 0x80072f0d }).codeName, 'ERROR_WINHTTP_SECURE_INVALID_CA');
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    assert.ok(lines.length <= 20, `the file is bounded (${lines.length} lines)`);
    // A crash mid-write leaves a torn line: it is skipped.
    appendFileSync(file, '{"kind":"rejection","rec');
    const reopened = new RejectionLog({ file, maxEntries: 10 });
    assert.equal(reopened.unreadableLines, 1);
    const counts = Object.fromEntries(reopened.endpoints().map((e) => [e.endpoint, e.count]));
    assert.deepEqual(counts, { 'flood.example:443': 45, 'one-off.example:443': 1 });
    assert.equal(reopened.entries({ endpoint: 'flood.example:443' }).at(-1)?.reason, 'r44');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
