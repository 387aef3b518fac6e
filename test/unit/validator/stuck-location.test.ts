// The time-out probe on its own: a real worker thread runs a script through `vm` under a known filename,
// as the validator worker does, and the probe must name the line of a loop, call an idle thread idle,
// leave the worker terminable, and keep working when another inspector session already watches it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Session } from 'node:inspector';
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { describeStuck, locateStuckCode } from '../../../src/validator/stuck-location';
import type { StackMapper } from '../../../src/validator/stack-map';

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
     // on, not once: the listener keeps an idle worker alive, as the validator worker's does.
     parentPort.on('message', () => run());
     parentPort.postMessage('ready');`,
    { eval: true },
  );
  await once(worker, 'message');
  worker.postMessage('go');
  await once(worker, 'message');
  // After started() the thread still runs the end of started() and node's dispatch of the message (where
  // a pause would land) before it reaches the loop or goes idle; a real probe comes a time limit later.
  await delay(100);
  return worker;
}

async function withWorker(body: string, run: (worker: Worker) => Promise<void>): Promise<void> {
  const worker = await workerRunning(body);
  try {
    await run(worker);
  } finally {
    // Terminating is part of what is tested: a worker the probe left paused would never finish.
    const exited = once(worker, 'exit');
    await worker.terminate();
    await exited;
  }
}

/** Names positions as 1-based `fake.ts:line:column`, so the test sees what the probe asked for. */
const identityMapper: StackMapper = { sources: new Set(['fake.ts']), map: (line, column) => `fake.ts:${line}:${column}` };

test('a thread in a synchronous loop is paused at the loop: 1-based line and column of the vm script, mapped', async () => {
  // Script line 1 is the wrapper "(function () {"; the loop is on line 3.
  await withWorker('let spins = 0; started();\nwhile (spins >= 0) spins = (spins + 1) % 1000;', async (worker) => {
    const found = await locateStuckCode({ worker, scriptFile: SCRIPT, mapper: identityMapper });
    assert.equal(found.kind, 'running');
    assert.match(found.kind === 'running' ? found.where : '', /^fake\.ts:3:\d+$/);
    assert.match(describeStuck(found, SCRIPT), /^stuck at fake\.ts:3:\d+$/);
  });
});

test('without a source map the line of the compiled code is given, not passed off as a .ts line', async () => {
  await withWorker('started();\nfor (;;) {}', async (worker) => {
    const found = await locateStuckCode({ worker, scriptFile: SCRIPT });
    assert.deepEqual(found, { kind: 'running', where: `${SCRIPT} (line 3 of the compiled code; it has no source map)` });
  });
});

test('an idle thread (the call awaits a promise that never settles) is reported idle, with no line', async () => {
  await withWorker('new Promise(() => undefined); started();', async (worker) => {
    const found = await locateStuckCode({ worker, scriptFile: SCRIPT, mapper: identityMapper });
    assert.deepEqual(found, { kind: 'idle' });
    assert.match(describeStuck(found, SCRIPT), /^waiting: the worker's thread was idle, so the call awaits a promise that never settles, in \/nowhere\/stuck-probe-validator\.js$/);
  });
});

test('a worker that already exited: unknown, without throwing, within the bound', async () => {
  const worker = await workerRunning('started();');
  await worker.terminate();
  const found = await locateStuckCode({ worker, scriptFile: SCRIPT }, { budgetMs: 300 });
  assert.equal(found.kind, 'unknown');
  assert.match(describeStuck(found, SCRIPT), /a loop, or a promise that never settles, in \/nowhere\/stuck-probe-validator\.js; where it was stuck is unknown: /);
});

test('another inspector session already attached to the worker (a debugger): the probe still finds the loop, and the worker still terminates', async () => {
  const debuggerSession = new Session();
  debuggerSession.connect();
  try {
    const attached = once(debuggerSession, 'NodeWorker.attachedToWorker');
    await withWorker('started();\nfor (;;) {}', async (worker) => {
      debuggerSession.post('NodeWorker.enable', { waitForDebuggerOnStart: false });
      await attached;
      const first = await locateStuckCode({ worker, scriptFile: SCRIPT, mapper: identityMapper });
      assert.match(first.kind === 'running' ? first.where : '', /^fake\.ts:3:\d+$/);
      // A second probe of the same worker works too: the first one left it running, not paused.
      const second = await locateStuckCode({ worker, scriptFile: SCRIPT, mapper: identityMapper });
      assert.match(second.kind === 'running' ? second.where : '', /^fake\.ts:3:\d+$/);
    });
  } finally {
    debuggerSession.disconnect();
  }
});
