// Phase 2 with the workspace validator: a TypeScript file compiled with esbuild, run in a worker, called
// only after phase 1, cached per job for accepted certificates only, reloaded when it or an import changes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeCA, makeLeaf, type Issued } from '../../support/certs';
import { letTimePass } from '../../support/wait';
import { Codes, ErrorContext } from '../../../src/core/errors';
import { E_UNEXPECTED } from '../../../src/core/tls/validator-outcome';
import { fakeJob, get, startRecordingServer, type RecordingServer } from '../core/tls/helpers';
import { makeGate, nextState, tempWorkspace, touch, writeCountingValidator, writePolicy, type Gate } from './fixtures';

let ca: Issued;
let leaf: Issued;
let server: RecordingServer;
const url = () => `https://127.0.0.1:${server.port}/file`;

before(async () => {
  ca = makeCA();
  leaf = makeLeaf(ca, { hosts: ['127.0.0.1'] });
  server = await startRecordingServer(leaf.cert, leaf.key);
});
after(() => server.close());

async function withGate(fn: (gate: Gate, dir: string) => Promise<void>, options?: { timeLimitMs?: number; memoryLimitMb?: number }) {
  const gate = makeGate(ca.cert, options);
  const dir = tempWorkspace();
  try {
    await fn(gate, dir);
  } finally {
    await gate.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

function workspaceJob() {
  return fakeJob({ validator: 'workspace' });
}

describe('phase 2: the workspace validator', () => {
  test('accept: one call per <endpoint, certificate> per job; a second job has its own cache; the cache never skips phase 1', async () => {
    await withGate(async ({ service, provider, controller }, dir) => {
      const v = writeCountingValidator(dir);
      assert.equal((await controller.configure({ file: v.file, trusted: true })).status, 'loaded');
      const job = workspaceJob();
      const agent = provider.agentFor(job, 'https:');
      assert.equal((await get(agent, url(), job.id)).status, 200);
      assert.equal(v.calls().length, 1);
      const c = v.calls()[0];
      assert.equal(c.job, job.id);
      assert.equal(c.endpoint, `127.0.0.1:${server.port}`);
      assert.match(c.sha256, /^[0-9a-f]{64}$/);
      // A new connection for the same job: cache hit, no call.
      provider.closeJobConnections(job.id);
      const connections = server.connections;
      assert.equal((await get(agent, url(), job.id)).status, 200);
      assert.equal(server.connections, connections + 1, 'a new connection was made');
      assert.equal(v.calls().length, 1, 'the cache answered');
      assert.deepEqual(
        service.cachedCertificates(job.id).map((e) => e.sha256),
        [c.sha256],
      );
      // Another job calls again.
      const other = workspaceJob();
      assert.equal((await get(provider.agentFor(other, 'https:'), url(), other.id)).status, 200);
      assert.equal(v.calls().length, 2);
      assert.equal(v.calls()[1].job, other.id);
    });
  });

  test('decline with a code: TRANSIENT context 8, that code, zero request bytes; never cached, so called again', async () => {
    await withGate(async ({ service, provider, controller }, dir) => {
      const v = writeCountingValidator(dir, "return { code: 0x800b0109, reason: 'not our CA' };");
      await controller.configure({ file: v.file, trusted: true });
      const job = workspaceJob();
      const bytesBefore = server.received().length;
      const first = await get(provider.agentFor(job, 'https:'), url(), job.id);
      assert.equal(first.error?.code, 0x800b0109);
      assert.equal(first.error?.context, ErrorContext.SERVER_CERTIFICATE_CALLBACK);
      assert.equal(first.error?.transient, true);
      assert.match(first.error?.message ?? '', /not our CA/);
      assert.equal(server.received().length, bytesBefore, 'no request byte reached the server');
      const second = await get(provider.agentFor(job, 'https:'), url(), job.id);
      assert.equal(second.error?.code, 0x800b0109);
      assert.equal(v.calls().length, 2, 'a rejection is never cached');
      const logged = service.rejections.entries({ jobId: job.id });
      assert.equal(logged.length, 2);
      assert.equal(logged[0].phase, 'validator');
      assert.match(logged[0].subject ?? '', /CN=127\.0\.0\.1/);
      assert.match(logged[0].issuer ?? '', /Test CA/);
      assert.equal(service.rejections.endpoints().find((e) => e.endpoint === `127.0.0.1:${server.port}`)?.count, 2);
    });
  });

  test('a plain HRESULT number declines; a throw declines with the error code or E_FAIL; junk declines with E_UNEXPECTED', async () => {
    await withGate(async ({ provider, controller, service }, dir) => {
      const v = writeCountingValidator(dir, 'return 0x80092010;');
      await controller.configure({ file: v.file, trusted: true });
      const run = async () => {
        const job = workspaceJob();
        return (await get(provider.agentFor(job, 'https:'), url(), job.id)).error;
      };
      assert.equal((await run())?.code, 0x80092010);
      const reloads = [
        { body: "throw new Error('boom');", code: Codes.E_FAIL, message: /threw: boom/ },
        { body: "throw Object.assign(new Error('pinned'), { code: 0x800b010f });", code: 0x800b010f, message: /pinned/ },
        { body: "return 'yes' as unknown as number;", code: E_UNEXPECTED, message: /neither an HRESULT/ },
        { body: 'return undefined as unknown as number;', code: E_UNEXPECTED, message: /forget to return/ },
        { body: 'return 1.5;', code: E_UNEXPECTED, message: /neither/ },
        { body: "return Promise.reject(new Error('async no'));", code: Codes.E_FAIL, message: /async no/ },
      ];
      for (const r of reloads) {
        const loaded = nextState(service, (s) => s.status === 'loaded');
        writePolicy(dir, r.body);
        await loaded;
        const error = await run();
        assert.equal(error?.code, r.code, r.body);
        assert.equal(error?.context, ErrorContext.SERVER_CERTIFICATE_CALLBACK);
        assert.match(error?.message ?? '', r.message);
      }
      const loaded = nextState(service, (s) => s.status === 'loaded');
      // A validator that answers a little later (the scenario: an asynchronous answer), not a wait in the test.
      writePolicy(dir, 'return new Promise((r) => setTimeout(() => r({ code: 0, reason: "fine" }), 10));');
      await loaded;
      assert.equal(await run(), undefined);
    });
  });

  test('a validator that hangs past the time limit: INTERFACE_REQUIRED (not transient), the error names the .ts line of the loop; the next call gets a fresh worker', async () => {
    await withGate(
      async ({ provider, controller }, dir) => {
        const flag = join(dir, 'hang');
        writeFileSync(flag, '');
        const v = writeCountingValidator(dir, `if (require('node:fs').existsSync(${JSON.stringify(flag)})) { for (;;) {} } return 0;`);
        await controller.configure({ file: v.file, trusted: true });
        const job = workspaceJob();
        const bytes = server.received().length;
        const hung = await get(provider.agentFor(job, 'https:'), url(), job.id);
        assert.equal(hung.error?.code, Codes.BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED);
        assert.equal(hung.error?.transient, false);
        assert.match(hung.error?.message ?? '', /did not answer within 300 ms/);
        // The loop is the body of verdict() in policy.ts (line 6 of that file), which validator.ts calls.
        assert.match(hung.error?.message ?? '', new RegExp(`stuck at ${join(dir, 'policy.ts').replace(/[.]/g, '\\.')}:6:\\d+;`));
        assert.equal(server.received().length, bytes);
        rmSync(flag);
        assert.equal((await get(provider.agentFor(job, 'https:'), url(), job.id)).status, 200);
      },
      { timeLimitMs: 300 },
    );
  });

  test('a validator that runs out of memory crashes its worker: INTERFACE_REQUIRED, and the host goes on', async () => {
    await withGate(
      async ({ provider, controller }, dir) => {
        const v = writeCountingValidator(dir, 'const hog: number[][] = []; for (;;) hog.push(new Array(1e6).fill(1)); ');
        await controller.configure({ file: v.file, trusted: true });
        const job = workspaceJob();
        const answer = await get(provider.agentFor(job, 'https:'), url(), job.id);
        assert.equal(answer.error?.code, Codes.BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED);
        assert.match(answer.error?.message ?? '', /crashed/);
      },
      { memoryLimitMb: 32, timeLimitMs: 20_000 },
    );
  });

  test('editing the file, or a file it imports, clears the cache and the next connection runs the new code; pooled connections are closed', async () => {
    await withGate(async ({ service, provider, controller }, dir) => {
      const v = writeCountingValidator(dir);
      await controller.configure({ file: v.file, trusted: true });
      const job = workspaceJob();
      const agent = provider.agentFor(job, 'https:') as import('../../../src/core/net/gated-agent').GatedAgent;
      assert.equal((await get(agent, url(), job.id)).status, 200);
      assert.equal(agent.idleSocketCount, 1, 'the accepted connection is pooled');
      // Edit the validator itself: version 2.
      let loaded = nextState(service, (s) => s.status === 'loaded');
      writeCountingValidator(dir, 'return 0;', 2);
      await loaded;
      assert.equal(agent.idleSocketCount, 0, 'the pooled connection accepted by the old validator was closed');
      assert.equal(service.cachedCertificates(job.id).length, 0);
      assert.equal((await get(agent, url(), job.id)).status, 200);
      assert.deepEqual(
        v.calls().map((c) => c.version),
        [1, 2],
      );
      // Edit only the imported policy: the cache is cleared again and the new policy declines.
      loaded = nextState(service, (s) => s.status === 'loaded');
      writePolicy(dir, 'return 0x800b0109;');
      await loaded;
      const declined = await get(agent, url(), job.id);
      assert.equal(declined.error?.code, 0x800b0109);
      assert.equal(v.calls().length, 3);
    });
  });

  test('pointing the setting at another file, or clearing the cache by command, makes the next connection call the validator again', async () => {
    await withGate(async ({ service, provider, controller }, dir) => {
      const first = writeCountingValidator(dir);
      await controller.configure({ file: first.file, trusted: true });
      const job = workspaceJob();
      const agent = provider.agentFor(job, 'https:');
      assert.equal((await get(agent, url(), job.id)).status, 200);
      service.clearCache(job.id);
      assert.equal((await get(agent, url(), job.id)).status, 200);
      assert.equal(first.calls().length, 2, 'the cleared cache sent the next connection to the validator');
      const otherDir = tempWorkspace();
      try {
        const second = writeCountingValidator(otherDir, 'return 0x80092012;');
        assert.equal((await controller.configure({ file: second.file, trusted: true })).status, 'loaded');
        assert.equal(service.cachedCertificates(job.id).length, 0);
        assert.equal((await get(agent, url(), job.id)).error?.code, 0x80092012);
        assert.equal(second.calls().length, 1);
        assert.equal(first.calls().length, 2);
      } finally {
        rmSync(otherDir, { recursive: true, force: true });
      }
    });
  });

  test('touching a file without changing it does not reload', async () => {
    await withGate(async ({ service, controller }, dir) => {
      const v = writeCountingValidator(dir);
      await controller.configure({ file: v.file, trusted: true });
      let changes = 0;
      const sub = service.onDidChangeWorkspaceValidator(() => changes++);
      utimesSync(v.file, new Date(), new Date());
      await letTimePass(400); // on purpose: a reload would have come by now
      sub.dispose();
      assert.equal(changes, 0);
      touch(v.file);
      await nextState(service, (s) => s.status === 'loaded');
    });
  });

  test('a new certificate on the same endpoint is validated again', async () => {
    const ownLeaf = makeLeaf(ca, { hosts: ['127.0.0.1'] });
    const own = await startRecordingServer(ownLeaf.cert, ownLeaf.key);
    try {
      await withGate(async ({ provider, controller }, dir) => {
        const v = writeCountingValidator(dir);
        await controller.configure({ file: v.file, trusted: true });
        const job = workspaceJob();
        const target = `https://127.0.0.1:${own.port}/f`;
        assert.equal((await get(provider.agentFor(job, 'https:'), target, job.id)).status, 200);
        const renewed = makeLeaf(ca, { hosts: ['127.0.0.1'] });
        own.setCertificate(renewed.cert, renewed.key);
        provider.closeJobConnections(job.id);
        assert.equal((await get(provider.agentFor(job, 'https:'), target, job.id)).status, 200);
        const calls = v.calls();
        assert.equal(calls.length, 2);
        assert.notEqual(calls[0].sha256, calls[1].sha256);
        assert.equal(calls[0].endpoint, calls[1].endpoint);
      });
    } finally {
      await own.close();
    }
  });

  test('unset: phase 1 alone; missing file, compile error, untrusted: INTERFACE_REQUIRED saying what to fix; fixing it makes the next attempt succeed', async () => {
    await withGate(async ({ service, provider, controller }, dir) => {
      const job = workspaceJob();
      const attempt = () => get(provider.agentFor(job, 'https:'), url(), job.id);
      // Unset: the job follows the setting as it is now, and no validator is configured.
      assert.equal((await attempt()).status, 200);
      // Missing.
      const file = join(dir, 'validator.ts');
      assert.equal((await controller.configure({ file, trusted: true })).status, 'missing');
      let error = (await attempt()).error;
      assert.equal(error?.code, Codes.BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED);
      assert.equal(error?.transient, false);
      assert.match(error?.message ?? '', /does not exist/);
      // Created: the watcher loads it.
      let loaded = nextState(service, (s) => s.status === 'loaded');
      const v = writeCountingValidator(dir);
      await loaded;
      assert.equal((await attempt()).status, 200);
      // Broken: a syntax error unloads it, and the error says where.
      const broken = nextState(service, (s) => s.status === 'compile-error');
      writePolicy(dir, 'return 0 +;');
      const state = await broken;
      assert.equal(state.status, 'compile-error');
      provider.closeJobConnections(job.id);
      error = (await attempt()).error;
      assert.equal(error?.code, Codes.BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED);
      assert.match(error?.message ?? '', /policy\.ts:\d+:\d+/);
      assert.ok(controller.diagnostics.length > 0 && controller.diagnostics[0].line !== undefined);
      // Mended.
      loaded = nextState(service, (s) => s.status === 'loaded');
      writePolicy(dir, 'return 0;');
      await loaded;
      assert.equal((await attempt()).status, 200);
      // No default export.
      const noExport = nextState(service, (s) => s.status === 'compile-error');
      writeFileSync(v.file, 'export const x = 1;\n');
      assert.match(
        (await noExport).status === 'compile-error' ? (service.workspaceValidator as { message: string }).message : '',
        /no default export/,
      );
      assert.ok(existsSync(v.file));
    });
  });

  test('an untrusted workspace never compiles or runs the file; granting trust loads it', async () => {
    await withGate(async ({ provider, controller }, dir) => {
      const v = writeCountingValidator(dir);
      assert.equal((await controller.configure({ file: v.file, trusted: false })).status, 'untrusted');
      const job = workspaceJob();
      const denied = await get(provider.agentFor(job, 'https:'), url(), job.id);
      assert.equal(denied.error?.code, Codes.BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED);
      assert.match(denied.error?.message ?? '', /not trusted/);
      assert.equal(v.calls().length, 0);
      assert.equal((await controller.configure({ file: v.file, trusted: true })).status, 'loaded');
      assert.equal((await get(provider.agentFor(job, 'https:'), url(), job.id)).status, 200);
      assert.equal(v.calls().length, 1);
    });
  });
});
