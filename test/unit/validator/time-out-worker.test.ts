// WorkerValidator around a time-out: the timed-out worker is taken out of service at once, so calls made
// while it is being probed run on a fresh worker, and its exit (it is stopped after the probe) does not
// fail them.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileValidator } from '../../../src/validator/compiler';
import type { ValidationInput } from '../../../src/validator/managed-downloads-validator';
import { WorkerValidator } from '../../../src/validator/worker-validator';
import { tempWorkspace } from './fixtures';

const dir = tempWorkspace();
after(() => rmSync(dir, { recursive: true, force: true }));

/** The validator reads only the endpoint's host, which says how it behaves. */
const callFor = (host: 'idle' | 'slow' | 'quick') => ({ endpoint: { host, port: 443 } }) as unknown as ValidationInput;

test('a call made while a timed-out worker is probed runs on a fresh worker and is not failed by the old one stopping', async () => {
  const file = join(dir, 'validator.ts');
  // The validator under test: 'idle' never answers, 'slow' answers after 1 s (the scenario's slow call), 'quick' at once.
  writeFileSync(
    file,
    `export default async function validate(input: { endpoint: { host: string } }) {
  if (input.endpoint.host === 'idle') await new Promise(() => undefined);
  if (input.endpoint.host === 'slow') await new Promise((r) => setTimeout(r, 1000));
  return 0;
}
`,
  );
  const lines: string[] = [];
  const validator = await WorkerValidator.start(await compileValidator(file), {
    log: (level, message) => lines.push(`[${level}] ${message}`),
  });
  try {
    const limitMs = 300;
    const hung = validator.validate(callFor('idle'), limitMs);
    // Started just after the time-out, while the idle worker is probed (that takes a while: an idle
    // thread is recognised by not pausing); it lasts until well after the old worker has exited.
    const during = new Promise<Awaited<ReturnType<WorkerValidator['validate']>>>((resolve) =>
      setTimeout(() => resolve(validator.validate(callFor('slow'), 5000)), limitMs + 20),
    );
    const timedOut = await hung;
    assert.equal(timedOut.kind, 'unavailable');
    assert.match(timedOut.kind === 'unavailable' ? timedOut.reason : '', /waiting: the worker's thread was idle/);
    assert.deepEqual(await during, { kind: 'accept' }, lines.join('\n'));
    assert.deepEqual(await validator.validate(callFor('quick'), 5000), { kind: 'accept' });
  } finally {
    await validator.dispose();
  }
});
