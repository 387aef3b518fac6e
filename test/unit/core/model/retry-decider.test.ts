// The one decider of retries (retryOf): what it says of an error made from a server's answer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BitsError, Codes, ErrorContext, httpStatusCode } from '../../../../src/core/errors';
import { retryOf } from '../../../../src/core/model/retry';
import { planResponse } from '../../../../src/core/transfer/response';

const asked = { offset: 0, knownTotal: null };

function errorOf(status: number, headers: Record<string, string> = {}, now?: number): BitsError {
  const plan = planResponse(status, headers, asked, 'u', now);
  assert.equal(plan.kind, 'error');
  return (plan as { error: BitsError }).error;
}

test('a transient status (5xx, 408, 429) is retried', () => {
  for (const status of [500, 503, 408, 429]) {
    const error = errorOf(status);
    assert.equal(error.code, httpStatusCode(status));
    assert.equal(retryOf(error).transient, true, `HTTP ${status}`);
  }
});

test('a permanent status (404, 403, 410) is not retried, nor is anything but a BitsError', () => {
  for (const status of [404, 403, 410]) assert.equal(retryOf(errorOf(status)).transient, false, `HTTP ${status}`);
  assert.equal(retryOf(new Error('boom')).transient, false);
  // An error made without a say falls back to its code.
  assert.equal(retryOf(new BitsError(Codes.E_DISK_FULL, 'full', ErrorContext.LOCAL_FILE)).transient, false);
  assert.equal(retryOf(new BitsError(Codes.BG_E_CONNECT_FAILURE, 'down', ErrorContext.GENERAL_TRANSPORT)).transient, true);
});

test('Retry-After travels on the error itself, as seconds or as a date', () => {
  const seconds = errorOf(503, { 'retry-after': '120' });
  assert.equal(seconds.retryAfterSeconds, 120);
  assert.deepEqual(retryOf(seconds), { transient: true, retryAfterSeconds: 120 });
  const dated = errorOf(429, { 'retry-after': new Date(60_000).toUTCString() }, 0);
  assert.equal(retryOf(dated).retryAfterSeconds, 60);
  assert.equal(errorOf(503).retryAfterSeconds, undefined);
});
