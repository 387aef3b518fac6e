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

/** Terminating is part of what is tested: a worker the probe left paused would never finish. */
async function stopped(worker: Worker): Promise<void> {
  if (worker.threadId === -1) return; // already exited
  const exited = once(worker, 'exit');
  await worker.terminate();
  await exited;
}

async function withWorker(body: string, run: (worker: Worker) => Promise<void>): Promise<void> {
  const worker = await workerRunning(body);
  try {
    await run(worker);
  } finally {
    await stopped(worker);
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

/** Another in-process inspector session with the worker's Debugger domain enabled, as a debugger has. */
async function withDebuggerAttached(worker: Worker, run: () => Promise<void>): Promise<void> {
  const debuggerSession = new Session();
  debuggerSession.connect();
  try {
    const attached = once(debuggerSession, 'NodeWorker.attachedToWorker');
    debuggerSession.post('NodeWorker.enable', { waitForDebuggerOnStart: false });
    const [{ params }] = (await attached) as [{ params: { sessionId: string; workerInfo: { title: string } } }];
    assert.match(params.workerInfo.title, new RegExp(`^\\[worker ${worker.threadId}\\]`));
    // With the other session's Debugger domain enabled, the pause the probe causes is the isolate's, seen
    // by both: the probe must resume it itself before it lets go.
    debuggerSession.post('NodeWorker.sendMessageToWorker', { sessionId: params.sessionId, message: JSON.stringify({ id: 1, method: 'Debugger.enable' }) });
    await run();
  } finally {
    debuggerSession.disconnect();
  }
}

test('a debugger already attached to the worker: the probe still finds the loop, twice, and the worker terminates with the debugger still there', async () => {
  await withWorker('started();\nfor (;;) {}', (worker) =>
    withDebuggerAttached(worker, async () => {
      const first = await locateStuckCode({ worker, scriptFile: SCRIPT, mapper: identityMapper });
      assert.match(first.kind === 'running' ? first.where : '', /^fake\.ts:3:\d+$/);
      // A second probe of the same worker works too: the first one left it running, not paused.
      const second = await locateStuckCode({ worker, scriptFile: SCRIPT, mapper: identityMapper });
      assert.match(second.kind === 'running' ? second.where : '', /^fake\.ts:3:\d+$/);
      await stopped(worker);
    }),
  );
});

test('a debugger already attached to an idle worker: idle, and the worker terminates with the debugger still there', async () => {
  // The pause the probe asked for stays armed while the other session keeps the Debugger domain on (V8
  // clears it when the last one is disabled); harmless, as the host stops the worker right after.
  await withWorker('new Promise(() => undefined); started();', (worker) =>
    withDebuggerAttached(worker, async () => {
      assert.deepEqual(await locateStuckCode({ worker, scriptFile: SCRIPT, mapper: identityMapper }), { kind: 'idle' });
      await stopped(worker);
    }),
  );
});
