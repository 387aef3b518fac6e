import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BitsError, Codes, ErrorContext, codeName, formatCode, formatError, httpStatusCode } from '../../../src/core/errors';

test('HTTP status N maps to 0x80190000+N, as BITS does', () => {
  assert.equal(formatCode(httpStatusCode(404)), '0x80190194');
  assert.equal(codeName(httpStatusCode(503)), 'BG_E_HTTP_ERROR_503');
});

test('BitsError carries a stable unsigned code, a context and a readable message', () => {
  const e = new BitsError(Codes.BG_E_EMPTY);
  assert.equal(e.code, 0x80200003);
  assert.equal(e.context, ErrorContext.GENERAL_QUEUE_MANAGER);
  assert.match(e.toString(), /^BG_E_EMPTY \(0x80200003\): There are no files/);
  assert.equal(codeName(Codes.BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED), 'BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED');
});

test('formatError is the one way an error reads: a line, a message, a log entry', () => {
  const e = new BitsError(Codes.BG_E_EMPTY);
  assert.equal(
    formatError(e, 'line'),
    'BG_E_EMPTY (0x80200003): There are no files attached to this job. Add files to the job, and then try again.',
  );
  assert.equal(String(e), formatError(e, 'line'));
  assert.equal(
    formatError(e, 'message'),
    'There are no files attached to this job. Add files to the job, and then try again. (BG_E_EMPTY)',
  );
  assert.equal(
    formatError(e, 'log'),
    'There are no files attached to this job. Add files to the job, and then try again. (BG_E_EMPTY) [0x80200003]',
  );
  // Without a code, an error reads as its message in every form.
  for (const form of ['line', 'message', 'log'] as const) {
    assert.equal(formatError(new Error('plain'), form), 'plain');
    assert.equal(formatError('a string', form), 'a string');
  }
});
