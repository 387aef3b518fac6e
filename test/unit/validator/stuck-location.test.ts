// Locating a stuck validator on its own: a real worker thread runs a script through `vm` under a known
// filename, as the validator thread does, and the report-based probe must name the line of a loop, call
// an idle thread idle, and say "unknown" (without throwing) for a thread that is gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { describeStuck, locateInStack, locateThread } from '../../../src/validator/stuck-location';
import type { StackMapper } from '../../../src/validator/stack-map';
import { letTimePass } from '../../support/wait';

const SCRIPT = '/nowhere/stuck-probe-validator.js';

/**
 * A worker that runs `body` as a vm script named SCRIPT. The body calls `started()` just before its loop
 * (or as it goes idle), so that the probe looks when the thread is where the test says.
 */
async function workerRunning(body: string): Promise<Worker> {
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
     globalThis.started = () => parentPort.postMessage('started');
     const run = require('node:vm').runInThisContext(${JSON.stringify(`(function () {\n${body}\n})`)}, { filename: ${JSON.stringify(SCRIPT)} });
     // on, not once: the listener keeps an idle worker alive, as the validator thread's does.
     parentPort.on('message', () => run());
     parentPort.postMessage('ready');`,
    { eval: true },
  );
  await once(worker, 'message');
  worker.postMessage('go');
  await once(worker, 'message');
  // After started() the thread still runs the end of started() and node's dispatch of the message before
  // it reaches the loop or goes idle; a real probe comes a time limit later. Nothing outside the thread shows
  // when it got there, so this lets time pass on purpose, as the real time limit does.
  await letTimePass(100);
  return worker;
}

async function withWorker(body: string, run: (worker: Worker) => Promise<void>): Promise<void> {
  const worker = await workerRunning(body);
  try {
    await run(worker);
  } finally {
    await worker.terminate();
  }
}

/** Names positions as 1-based `fake.ts:line:column`, so the test sees what the probe asked for. */
const identityMapper: StackMapper = { sources: new Set(['fake.ts']), map: (line, column) => `fake.ts:${line}:${column}` };

test('a thread in a synchronous loop is located at the loop: 1-based line and column of the vm script, mapped', async () => {
  // Script line 1 is the wrapper "(function () {"; the loop is on line 3.
  await withWorker('let spins = 0; started();\nwhile (spins >= 0) spins = (spins + 1) % 1000;', async (worker) => {
    const found = locateThread(worker.threadId, SCRIPT, identityMapper);
    assert.equal(found.kind, 'running');
    assert.match(found.kind === 'running' ? found.where : '', /^fake\.ts:3:\d+$/);
    assert.match(describeStuck(found, SCRIPT), /^stuck at fake\.ts:3:\d+$/);
  });
});

test('without a source map the line of the compiled code is given, not passed off as a .ts line', async () => {
  await withWorker('started();\nfor (;;) {}', async (worker) => {
    assert.deepEqual(locateThread(worker.threadId, SCRIPT, undefined), {
      kind: 'running',
      where: `${SCRIPT} (line 3 of the compiled code; it has no source map)`,
    });
  });
});

test('an idle thread (the call awaits a promise that never settles) is reported idle, with no line', async () => {
  await withWorker('new Promise(() => undefined); started();', async (worker) => {
    const found = locateThread(worker.threadId, SCRIPT, identityMapper);
    assert.deepEqual(found, { kind: 'idle' });
    assert.match(
      describeStuck(found, SCRIPT),
      /^waiting: the worker's thread was idle, so the call awaits a promise that never settles, in \/nowhere\/stuck-probe-validator\.js$/,
    );
  });
});

test('a thread that already exited: unknown, without throwing', async () => {
  const worker = await workerRunning('started();');
  const threadId = worker.threadId;
  await worker.terminate();
  const found = locateThread(threadId, SCRIPT, undefined);
  assert.equal(found.kind, 'unknown');
  assert.match(
    describeStuck(found, SCRIPT),
    /a loop, or a promise that never settles, in \/nowhere\/stuck-probe-validator\.js; where it was stuck is unknown: /,
  );
});

test('a stack with no frame in the validator: elsewhere, at its top frame', () => {
  const found = locateInStack(
    {
      message: 'GetReport',
      stack: ['at listOnTimeout (node:internal/timers:573:17)', 'at process.processTimers (node:internal/timers:514:7)'],
    },
    SCRIPT,
    identityMapper,
  );
  assert.deepEqual(found, { kind: 'elsewhere', where: 'node:internal/timers:573:17' });
});
