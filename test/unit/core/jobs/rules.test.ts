// The engine's pure rules: retry decisions, Retry-After, reading range answers, temp-file names, verb table.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { Codes, httpStatusCode } from '../../../../src/core/errors';
import { JobState } from '../../../../src/core/model/job';
import { decideAfterError, isTransientCode, parseRetryAfter } from '../../../../src/core/model/retry';
import { isVerbAllowed } from '../../../../src/core/model/states';
import { parseContentRange, planResponse } from '../../../../src/core/transfer/response';
import { tempPathFor } from '../../../../src/core/transfer/temp-file';

const base = { now: 1_000_000, lastProgressAt: 1_000_000, noProgressTimeoutSeconds: 60, minimumRetryDelaySeconds: 10, floorSeconds: 5 };

test('retry waits max(minimum retry delay, Retry-After), never less than the floor, and gives up past the no-progress window', () => {
  assert.deepEqual(decideAfterError({ ...base, transient: true }), { kind: 'retry', at: base.now + 10_000, delaySeconds: 10 });
  assert.equal(decideAfterError({ ...base, transient: true, retryAfterSeconds: 30 }).kind, 'retry');
  assert.equal((decideAfterError({ ...base, transient: true, retryAfterSeconds: 30 }) as { delaySeconds: number }).delaySeconds, 30);
  assert.equal((decideAfterError({ ...base, transient: true, minimumRetryDelaySeconds: 0 }) as { delaySeconds: number }).delaySeconds, 5);
  assert.deepEqual(decideAfterError({ ...base, transient: false }), { kind: 'fail', why: 'final' });
  assert.deepEqual(decideAfterError({ ...base, transient: true, noProgressTimeoutSeconds: 0 }), {
    kind: 'fail',
    why: 'no-progress-timeout-zero',
  });
  assert.deepEqual(decideAfterError({ ...base, transient: true, lastProgressAt: base.now - 61_000 }), { kind: 'fail', why: 'no-progress' });
  assert.equal(decideAfterError({ ...base, transient: true, retryAfterSeconds: 120 }).kind, 'fail');
});

test('transient codes: network failures, 5xx, 408, 429; not 404, 403 or local errors', () => {
  for (const code of [
    Codes.BG_E_CONNECT_FAILURE,
    Codes.BG_E_CONNECTION_CLOSED,
    Codes.ERROR_WINHTTP_TIMEOUT,
    httpStatusCode(500),
    httpStatusCode(503),
    httpStatusCode(408),
    httpStatusCode(429),
  ]) {
    assert.equal(isTransientCode(code), true, code.toString(16));
  }
  for (const code of [httpStatusCode(404), httpStatusCode(403), Codes.E_DISK_FULL, Codes.E_ACCESSDENIED, Codes.MD_E_HASH_MISMATCH]) {
    assert.equal(isTransientCode(code), false, code.toString(16));
  }
});

test('Retry-After as seconds or as an HTTP date', () => {
  assert.equal(parseRetryAfter('120', 0), 120);
  assert.equal(parseRetryAfter(new Date(60_000).toUTCString(), 0), 60);
  assert.equal(parseRetryAfter('soon', 0), undefined);
  assert.equal(parseRetryAfter(undefined, 0), undefined);
});

test('range answers: a continuation is accepted only when it starts at the offset and describes the same entity', () => {
  assert.deepEqual(parseContentRange('bytes 100-199/1000'), { first: 100, last: 199, total: 1000 });
  assert.deepEqual(parseContentRange('bytes 100-199/*'), { first: 100, last: 199, total: null });
  assert.equal(parseContentRange('bytes 200-100/1000'), undefined);
  assert.equal(parseContentRange('items 1-2/3'), undefined);
  const asked = { offset: 100, knownTotal: 1000, etag: '"a"' };
  const headers = (h: Record<string, string>) => h;
  assert.equal(planResponse(206, headers({ 'content-range': 'bytes 100-999/1000', etag: '"a"' }), asked, 'u').kind, 'body');
  assert.equal(planResponse(206, headers({ 'content-range': 'bytes 0-999/1000', etag: '"a"' }), asked, 'u').kind, 'refetch');
  assert.equal(planResponse(206, headers({ 'content-range': 'bytes 100-1099/1100', etag: '"a"' }), asked, 'u').kind, 'refetch');
  assert.equal(planResponse(206, headers({ 'content-range': 'bytes 100-999/1000', etag: '"b"' }), asked, 'u').kind, 'refetch');
  assert.equal(
    planResponse(206, headers({ 'content-range': 'bytes 100-999/1000', etag: '"a"', 'content-length': '5' }), asked, 'u').kind,
    'refetch',
  );
  // The version is checked by every validator both sides have, and a 206 must confirm one that vouches for bytes.
  // The stored date is strong (sent at least 1 s before its answer's Date); a weak one vouches for nothing.
  const byDate = { offset: 100, knownTotal: 1000, lastModified: 'Wed, 21 Oct 2026 07:28:00 GMT', lastModifiedStrong: true };
  const weakDate = { ...byDate, lastModifiedStrong: undefined };
  assert.equal(
    planResponse(206, headers({ 'content-range': 'bytes 100-999/1000', 'last-modified': byDate.lastModified }), weakDate, 'u').kind,
    'refetch',
  );
  assert.equal(
    planResponse(206, headers({ 'content-range': 'bytes 100-999/1000', 'last-modified': byDate.lastModified }), byDate, 'u').kind,
    'body',
  );
  assert.equal(
    planResponse(206, headers({ 'content-range': 'bytes 100-999/1000', 'last-modified': 'Thu, 22 Oct 2026 07:28:00 GMT' }), byDate, 'u')
      .kind,
    'refetch',
  );
  assert.equal(planResponse(206, headers({ 'content-range': 'bytes 100-999/1000' }), byDate, 'u').kind, 'refetch');
  assert.equal(
    planResponse(
      206,
      headers({ 'content-range': 'bytes 100-999/1000', etag: '"a"', 'last-modified': 'Thu, 22 Oct 2026 07:28:00 GMT' }),
      { ...asked, ...byDate },
      'u',
    ).kind,
    'refetch',
  );
  assert.equal(
    planResponse(206, headers({ 'content-range': 'bytes 100-999/1000', etag: '"a"' }), { ...asked, ...byDate }, 'u').kind,
    'body',
  );
  assert.equal(
    planResponse(
      206,
      headers({ 'content-range': 'bytes 100-999/1000', etag: 'W/"a"' }),
      { offset: 100, knownTotal: 1000, etag: 'W/"a"' },
      'u',
    ).kind,
    'refetch',
  );
  const restart = planResponse(200, headers({ 'content-length': '1000' }), asked, 'u');
  assert.equal(restart.kind === 'body' && restart.restarted, true);
  assert.deepEqual(planResponse(416, headers({ 'content-range': 'bytes */100' }), { offset: 100, knownTotal: null }, 'u'), {
    kind: 'complete',
    total: 100,
  });
  const notFound = planResponse(404, {}, asked, 'u');
  assert.equal(notFound.kind === 'error' && notFound.error.code, 0x80190194);
});

test('temp files are hidden, beside the destination, distinct per job and file, and fit in 255 bytes', () => {
  const p = tempPathFor('/data/out/model.bin', '0123abcd-0000-4000-8000-000000000000', 2);
  assert.equal(path.dirname(p), '/data/out');
  assert.equal(path.basename(p), '.model.bin.0123abcd-2.mddownload');
  const long = tempPathFor('/data/' + 'é'.repeat(127) + '.bin', '0123abcd', 0);
  assert.ok(Buffer.byteLength(path.basename(long)) <= 255);
  assert.ok(long.endsWith('.0123abcd-0.mddownload'));
});

test('verb table: final states refuse everything but remove; suspend is refused once transferred', () => {
  assert.equal(isVerbAllowed('suspend', JobState.TRANSFERRED), false);
  assert.equal(isVerbAllowed('complete', JobState.TRANSFERRED), true);
  assert.equal(isVerbAllowed('resume', JobState.ERROR), true);
  for (const s of [JobState.ACKNOWLEDGED, JobState.CANCELLED]) {
    assert.equal(isVerbAllowed('resume', s), false);
    assert.equal(isVerbAllowed('cancel', s), false);
    assert.equal(isVerbAllowed('remove', s), true);
  }
});
