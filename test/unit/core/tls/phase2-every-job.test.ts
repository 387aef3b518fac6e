// Phase 2 for every job: the validator in force when a connection is made decides, whatever the job was
// made with, and an answer made stale by a validator change is never kept.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeCA, makeLeaf, type Issued } from '../../../support/certs';
import { waitUntil } from '../../../support/wait';
import { Codes, ErrorContext } from '../../../../src/core/errors';
import { CertificateService, inProcessValidator } from '../../../../src/core/tls/service';
import { GatedConnectionProvider } from '../../../../src/core/net/connection-provider';
import type { Validator } from '../../../../src/validator/managed-downloads-validator';
import { fakeJob, get, startRecordingServer, type RecordingServer } from './helpers';

let ca: Issued;
let server: RecordingServer;
const url = () => `https://127.0.0.1:${server.port}/file`;

before(async () => {
  ca = makeCA();
  const leaf = makeLeaf(ca, { hosts: ['127.0.0.1'] });
  server = await startRecordingServer(leaf.cert, leaf.key);
});
after(() => server.close());

function gate() {
  const service = new CertificateService({ trust: { includeDefaultRoots: false, extraCaPem: [ca.cert] } });
  const provider = new GatedConnectionProvider(service);
  return {
    service,
    provider,
    useWorkspace(fn: Validator, file = 'validator.ts') {
      service.setWorkspaceValidator({ status: 'loaded', file, validator: inProcessValidator(fn, file) });
    },
    async dispose() {
      provider.dispose();
      await service.dispose();
    },
  };
}

const declineAll: Validator = () => ({ code: 0x800b0109, reason: 'declines everything' });

describe('phase 2 for every job', () => {
  for (const [origin, source] of [
    ['an API job whose owner set no validator', 'none'],
    ['a UI job made before the validator setting was set', 'none'],
    ['a job made with the workspace validator', 'workspace'],
  ] as const) {
    test(`${origin} is checked by the workspace validator in force now: a declining one lets no byte out`, async () => {
      const g = gate();
      try {
        const job = fakeJob({ validator: source });
        // Before any validator is configured, phase 1 alone decides.
        assert.equal((await get(g.provider.agentFor(job, 'https:'), url(), job.id)).status, 200);
        g.useWorkspace(declineAll);
        const bytes = server.received().length;
        const answer = await get(g.provider.agentFor(job, 'https:'), url(), job.id);
        assert.equal(answer.error?.code, 0x800b0109);
        assert.equal(answer.error?.context, ErrorContext.SERVER_CERTIFICATE_CALLBACK);
        assert.equal(server.received().length, bytes, 'no request byte reached the server');
      } finally {
        await g.dispose();
      }
    });
  }

  test("an owner's own validator wins over the workspace's; an owner-validated job whose validator is gone cannot connect", async () => {
    const g = gate();
    try {
      g.useWorkspace(declineAll);
      const job = fakeJob({ validator: 'api' });
      const missing = await get(g.provider.agentFor(job, 'https:'), url(), job.id);
      assert.equal(missing.error?.code, Codes.BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED);
      g.service.setJobValidator(job.id, () => 0);
      assert.equal((await get(g.provider.agentFor(job, 'https:'), url(), job.id)).status, 200);
    } finally {
      await g.dispose();
    }
  });

  test('a validator that changes twice while it decides: neither stale accept is kept, the one in force is asked', async () => {
    const g = gate();
    try {
      const calls: string[] = [];
      const release: (() => void)[] = [];
      const slowAccept =
        (name: string): Validator =>
        () => {
          calls.push(name);
          return new Promise((resolve) => release.push(() => resolve(0)));
        };
      g.useWorkspace(slowAccept('first'), 'first.ts');
      const job = fakeJob({ validator: 'workspace' });
      const pending = get(g.provider.agentFor(job, 'https:'), url(), job.id);
      await waitUntil('the first validator call', () => calls.length === 1, { timeoutMs: 10_000, intervalMs: 5 });
      g.useWorkspace(slowAccept('second'), 'second.ts');
      release.shift()!();
      await waitUntil('the second validator call', () => calls.length === 2, { timeoutMs: 10_000, intervalMs: 5 });
      g.useWorkspace((input) => {
        calls.push('third');
        return declineAll(input);
      }, 'third.ts');
      release.shift()!();
      const answer = await pending;
      assert.deepEqual(calls, ['first', 'second', 'third']);
      assert.equal(answer.error?.code, 0x800b0109, 'the validator in force declined');
      assert.deepEqual(g.service.cachedCertificates(job.id), [], 'no stale acceptance was cached');
    } finally {
      await g.dispose();
    }
  });
});
