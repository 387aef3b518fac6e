// The validator's whole life is bounded and isolated: its load and each call in time, its memory (Buffers
// included), what it can send the host (reasons, log lines), what it can do to the host (exit, abort,
// signals) and what it can read of the host (its environment). Each case ends with nothing of the
// validator left running.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeCA, makeLeaf, type Issued } from '../../support/certs';
import { waitUntil } from '../../support/wait';
import { Codes } from '../../../src/core/errors';
import { MAX_REASON_CHARS } from '../../../src/core/tls/validator-outcome';
import { compileValidator } from '../../../src/validator/compiler';
import type { ValidationInput } from '../../../src/validator/managed-downloads-validator';
import { RUNTIME_ALLOWANCE_MB, ValidatorLoadError, WorkerValidator } from '../../../src/validator/worker-validator';
import { fakeJob, get, startRecordingServer, type RecordingServer } from '../core/tls/helpers';
import { liveThreadsAndChildren, makeGate, nextState, tempWorkspace, touch, waitForNothingLeftRunning, type Gate } from './fixtures';

let ca: Issued;
let server: RecordingServer;
let baseline: ReturnType<typeof liveThreadsAndChildren>;
const dir = tempWorkspace();
const url = () => `https://127.0.0.1:${server.port}/file`;

before(async () => {
  ca = makeCA();
  const leaf = makeLeaf(ca, { hosts: ['127.0.0.1'] });
  server = await startRecordingServer(leaf.cert, leaf.key);
  // One validator's whole life first, so that threads the runtime starts once (and keeps) are counted.
  const warm = await start('export default function validate() { return 0; }\n');
  await warm.validate(callFor('quick'), 10_000);
  await warm.dispose();
  baseline = liveThreadsAndChildren();
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

let fileCounter = 0;
function validatorFile(source: string): string {
  const file = join(dir, `validator-${++fileCounter}.ts`);
  writeFileSync(file, source);
  return file;
}

async function start(
  source: string,
  options: { memoryLimitMb?: number; loadTimeLimitMs?: number; log?: (level: string, message: string) => void } = {},
): Promise<WorkerValidator> {
  return WorkerValidator.start(await compileValidator(validatorFile(source)), options);
}

/** The validators below read only the endpoint's host, which says what they do. */
const callFor = (host: string) => ({ endpoint: { host, port: 443 } }) as unknown as ValidationInput;

async function withGate(options: { timeLimitMs: number; memoryLimitMb?: number }, fn: (gate: Gate) => Promise<void>): Promise<void> {
  const gate = makeGate(ca.cert, options);
  try {
    await fn(gate);
  } finally {
    await gate.dispose();
  }
}

describe('the validator load is time-limited', () => {
  test(
    'a top-level loop is stopped at the time limit: the load fails naming the line, the job gets INTERFACE_REQUIRED, nothing is left running',
    { timeout: 60_000 },
    async () => {
      await withGate({ timeLimitMs: 300 }, async ({ controller, provider }) => {
        const file = validatorFile('let spins = 0;\nfor (;;) spins++;\nexport default function validate() { return 0; }\n');
        const state = await controller.configure({ file, trusted: true });
        assert.equal(state.status, 'compile-error');
        const message = state.status === 'compile-error' ? state.message : '';
        assert.match(
          message,
          /its top-level code did not finish loading within 300 ms \(stuck at .*validator-\d+\.ts:2:\d+\); the validator process was stopped/,
        );
        const job = fakeJob({ validator: 'workspace' });
        const answer = await get(provider.agentFor(job, 'https:'), url(), job.id);
        assert.equal(answer.error?.code, Codes.BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED);
        assert.match(answer.error?.message ?? '', /did not finish loading within 300 ms/);
        await waitForNothingLeftRunning(baseline);
      });
    },
  );

  test(
    'saving a looping file again stops the load in progress: three saves leave at most one process running, none after',
    { timeout: 60_000 },
    async () => {
      // A limit far beyond the test: only the reload may stop the previous load.
      await withGate({ timeLimitMs: 60_000 }, async ({ service, controller }) => {
        const file = validatorFile('for (;;) {}\nexport default function validate() { return 0; }\n');
        void controller.configure({ file, trusted: true });
        for (let save = 0; save < 3; save++) {
          await waitForChildren((n) => n === (baseline?.children ?? 0) + 1);
          const reloading = nextState(service, (s) => s.status === 'loading');
          touch(file);
          await reloading;
        }
        await waitForChildren((n) => n === (baseline?.children ?? 0) + 1);
        const live = liveThreadsAndChildren();
        if (live && baseline) assert.ok(live.children <= baseline.children + 1, `${live.children} processes for one validator`);
        controller.dispose();
        await waitForNothingLeftRunning(baseline);
      });
    },
  );

  test(
    'WorkerValidator.start: a top-level await-free hang in a library call is bounded too (a busy wait on Date)',
    { timeout: 30_000 },
    async () => {
      await assert.rejects(
        start('const until = Date.now() + 60_000;\nwhile (Date.now() < until) {}\nexport default () => 0;\n', { loadTimeLimitMs: 300 }),
        (e: unknown) => {
          assert.ok(e instanceof ValidatorLoadError);
          assert.match(e.message, /did not finish loading within 300 ms \(stuck at .*:2:\d+\)/);
          return true;
        },
      );
      await waitForNothingLeftRunning(baseline);
    },
  );
});

/** Waits until the number of this process's children satisfies `pred` (Linux; elsewhere at once). */
async function waitForChildren(pred: (n: number) => boolean, timeoutMs = 20_000): Promise<void> {
  await waitUntil(
    'the number of child processes',
    () => {
      const live = liveThreadsAndChildren();
      if (!live || pred(live.children)) return true;
      throw new Error(`children: ${live.children}`);
    },
    { timeoutMs, intervalMs: 20 },
  );
}

describe('what a validator sends the host is capped', () => {
  test('a 20 MiB decline reason is cut to 1 KiB, saying so, in the job error and the rejection log', { timeout: 60_000 }, async () => {
    await withGate({ timeLimitMs: 20_000 }, async ({ controller, provider, service }) => {
      const file = validatorFile(
        `export default function validate() {\n  return { code: 0x800b0109, reason: 'R'.repeat(20 * 1024 * 1024) };\n}\n`,
      );
      assert.equal((await controller.configure({ file, trusted: true })).status, 'loaded');
      const job = fakeJob({ validator: 'workspace' });
      const answer = await get(provider.agentFor(job, 'https:'), url(), job.id);
      assert.equal(answer.error?.code, 0x800b0109);
      const message = answer.error?.message ?? '';
      assert.ok(message.length < MAX_REASON_CHARS + 400, `the job error is ${message.length} characters`);
      assert.match(message, /R{900,}\.\.\. \(truncated: 20971520 characters\)$/);
      const recorded = service.rejections.entries({ jobId: job.id });
      assert.equal(recorded.length, 1);
      assert.ok(
        JSON.stringify(recorded[0]).length < MAX_REASON_CHARS + 1000,
        `the rejection record is ${JSON.stringify(recorded[0]).length} characters`,
      );
    });
  });

  test("the validator's log lines reach the host cut to 4 KiB, and a flood is cut to 100 lines", { timeout: 30_000 }, async () => {
    const lines: string[] = [];
    const v = await start(
      `import { log } from 'managed-downloads/validator';\nexport default function validate() {\n  log.info('L'.repeat(1_000_000));\n  for (let i = 0; i < 1000; i++) console.log('flood', i);\n  return 0;\n}\n`,
      {
        log: (level, message) => lines.push(`[${level}] ${message}`),
      },
    );
    try {
      assert.deepEqual(await v.validate(callFor('quick'), 20_000), { kind: 'accept' });
      const longest = Math.max(...lines.map((l) => l.length));
      assert.ok(longest <= 4096 + 100, `a log line of ${longest} characters reached the host`);
      assert.match(lines[0], /\(truncated: 1000000 characters\)/);
      assert.ok(lines.length <= 100, `${lines.length} lines`);
    } finally {
      await v.dispose();
    }
  });
});

describe('memory: Buffers count too', () => {
  test(
    'a validator allocating Buffers in a loop is stopped at its ceiling; the host stays under 64 MiB of growth; the job gets INTERFACE_REQUIRED',
    { timeout: 60_000 },
    async () => {
      const memoryLimitMb = 64;
      await withGate({ timeLimitMs: 30_000, memoryLimitMb }, async ({ controller, provider }) => {
        // 1 GiB in 1 MiB Buffers, all kept: outside a heap limit, and far past the ceiling.
        const file = validatorFile(
          'export default function validate() {\n  const kept: Buffer[] = [];\n  for (let i = 0; i < 1024; i++) kept.push(Buffer.alloc(1024 * 1024, 1));\n  return kept.length > 0 ? 0 : 1;\n}\n',
        );
        assert.equal((await controller.configure({ file, trusted: true })).status, 'loaded');
        const before = process.memoryUsage.rss();
        let peak = before;
        const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 5);
        try {
          const job = fakeJob({ validator: 'workspace' });
          const answer = await get(provider.agentFor(job, 'https:'), url(), job.id);
          assert.equal(answer.error?.code, Codes.BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED, answer.error?.message);
          assert.match(
            answer.error?.message ?? '',
            new RegExp(
              `used more memory than allowed \\(\\d+ MiB resident, over the ceiling of ${memoryLimitMb + RUNTIME_ALLOWANCE_MB} MiB`,
            ),
          );
        } finally {
          clearInterval(sampler);
        }
        const grownMb = (peak - before) / 1048576;
        assert.ok(grownMb < 64, `the host grew by ${grownMb.toFixed(0)} MiB`);
        await waitForNothingLeftRunning(baseline);
      });
    },
  );
});

describe('the validator cannot stop the host', () => {
  // Each host name makes the validator try one way out; the call must fail (or be refused) and the next
  // call must be answered by a fresh process, with this process (the host) still here to check it.
  const source = `import { decline } from 'managed-downloads/validator';
const attempts: Record<string, () => unknown> = {
  'exit': () => process.exit(3),
  'really-exit': () => (process as unknown as { reallyExit(code: number): void }).reallyExit(4),
  'abort': () => process.abort(),
  'kill-self': () => process.kill(process.pid, 'SIGKILL'),
  'kill-parent': () => process.kill(process.ppid, 0),
  'kill-group': () => process.kill(0, 0),
  'kill-all': () => process.kill(-1, 0),
  'private-kill': () => (process as unknown as { _kill(pid: number, sig: number): number })._kill(process.ppid, 0),
  'worker': () => new (require('node:worker_threads').Worker)('process.kill(process.ppid, 0)', { eval: true }),
  'spawn': () => require('node:child_process').execFileSync('kill', ['-0', String(process.ppid)]),
  'inspector': () => new (require('node:inspector').Session)().connect(),
  'addon': () => process.dlopen({ exports: {} }, __dirname + '/addon.node'),
  'wasi': () => new (require('node:wasi').WASI)({ version: 'preview1' }),
};
export default function validate(input: { endpoint: { host: string } }) {
  const attempt = attempts[input.endpoint.host];
  if (!attempt) return 0;
  try {
    attempt();
  } catch (e) {
    return decline('refused: ' + (e as Error).message);
  }
  return decline('it went through');
}
`;
  let v: WorkerValidator;
  before(async () => {
    v = await start(source);
  });
  after(() => v.dispose());

  for (const way of ['exit', 'really-exit']) {
    test(`${way}: only the validator's process ends; the call is INTERFACE_REQUIRED and the next one is answered`, async () => {
      const outcome = await v.validate(callFor(way), 10_000);
      assert.equal(outcome.kind, 'unavailable', JSON.stringify(outcome));
      assert.match(outcome.kind === 'unavailable' ? outcome.reason : '', /crashed/);
      assert.deepEqual(await v.validate(callFor('quick'), 10_000), { kind: 'accept' });
    });
  }

  // Refused where Node or the sandbox refuses them; had they gone through, only the validator's process
  // would have ended (as exit does above): either way the host is still here and the next call answered.
  for (const way of [
    'abort',
    'kill-self',
    'kill-parent',
    'kill-group',
    'kill-all',
    'private-kill',
    'worker',
    'spawn',
    'inspector',
    'addon',
    'wasi',
  ]) {
    test(`${way}: refused inside the validator (it declines with the refusal)`, async () => {
      const outcome = await v.validate(callFor(way), 10_000);
      assert.equal(outcome.kind, 'decline', JSON.stringify(outcome));
      assert.match(
        outcome.kind === 'decline' ? outcome.reason : '',
        /refused: .*(not available to a certificate validator|not supported in workers|Access to this API has been restricted|loading addons is disabled)/,
      );
      assert.deepEqual(await v.validate(callFor('quick'), 10_000), { kind: 'accept' });
    });
  }
});

describe("the validator cannot read the host's environment", () => {
  test(
    'process.env is empty, /proc/self/environ and /proc/<host>/environ are refused, and no value of the host environment reaches the answer',
    { timeout: 30_000 },
    async () => {
      const v = await start(`import * as fs from 'node:fs';
import { decline } from 'managed-downloads/validator';
function read(path: string): string {
  try {
    return fs.readFileSync(path, 'latin1').replace(/\\0/g, '\\n');
  } catch (e) {
    return 'refused ' + ((e as { code?: string }).code ?? (e as Error).message);
  }
}
export default function validate() {
  return decline(JSON.stringify({ env: process.env, self: read('/proc/self/environ'), parent: read('/proc/' + process.ppid + '/environ'), home: read('/etc/hostname') }));
}
`);
      try {
        const outcome = await v.validate(callFor('env'), 10_000);
        assert.equal(outcome.kind, 'decline');
        const seen = JSON.parse(outcome.kind === 'decline' ? outcome.reason : '{}') as {
          env: Record<string, string>;
          self: string;
          parent: string;
          home: string;
        };
        assert.deepEqual(Object.keys(seen.env), []);
        if (process.platform === 'linux') {
          assert.equal(seen.self, 'refused ERR_ACCESS_DENIED');
          assert.equal(seen.parent, 'refused ERR_ACCESS_DENIED');
        }
        assert.equal(seen.home, 'refused ERR_ACCESS_DENIED', 'files outside its folder are refused');
        for (const [name, value] of Object.entries(process.env)) {
          if (value && value.length >= 8)
            assert.ok(!(outcome.kind === 'decline' && outcome.reason.includes(value)), `the value of ${name} reached the validator`);
        }
      } finally {
        await v.dispose();
      }
    },
  );
});

describe('what a validator can reach, as the docs say', () => {
  test(
    "its own folder (read and write), the network, time and crypto; not a file outside its folder, not the parent's",
    { timeout: 30_000 },
    async () => {
      writeFileSync(join(dir, 'allowed.txt'), 'in the folder');
      const v = await start(`import * as fs from 'node:fs';
import * as net from 'node:net';
import { createHash } from 'node:crypto';
import { decline } from 'managed-downloads/validator';
function attempt(f: () => unknown): string {
  try {
    return String(f());
  } catch (e) {
    return 'refused ' + ((e as { code?: string }).code ?? (e as Error).message);
  }
}
export default async function validate(input: { endpoint: { host: string; port: number } }) {
  const connected = await new Promise<string>((resolve) => {
    const socket = net.connect(input.endpoint.port, input.endpoint.host, () => { socket.destroy(); resolve('connected'); });
    socket.on('error', (e) => resolve('refused ' + ((e as { code?: string }).code ?? e.message)));
  });
  return decline(JSON.stringify({
    read: attempt(() => fs.readFileSync(__dirname + '/allowed.txt', 'utf8')),
    write: attempt(() => { fs.writeFileSync(__dirname + '/written.txt', 'x'); return 'written'; }),
    outside: attempt(() => fs.readFileSync(__dirname + '/../outside-${process.pid}.txt', 'utf8')),
    tmp: attempt(() => { fs.writeFileSync('/tmp/md-validator-escape.txt', 'x'); return 'written'; }),
    connected,
    hash: createHash('sha256').update('x').digest('hex').slice(0, 8),
    now: typeof Date.now(),
  }));
}
`);
      try {
        writeFileSync(join(dir, '..', `outside-${process.pid}.txt`), 'outside');
        const outcome = await v.validate({ endpoint: { host: '127.0.0.1', port: server.port } } as unknown as ValidationInput, 10_000);
        assert.equal(outcome.kind, 'decline');
        assert.deepEqual(JSON.parse(outcome.kind === 'decline' ? outcome.reason : '{}'), {
          read: 'in the folder',
          write: 'written',
          outside: 'refused ERR_ACCESS_DENIED',
          tmp: 'refused ERR_ACCESS_DENIED',
          connected: 'connected',
          hash: '2d711642',
          now: 'number',
        });
      } finally {
        rmSync(join(dir, '..', `outside-${process.pid}.txt`), { force: true });
        await v.dispose();
      }
    },
  );
});
