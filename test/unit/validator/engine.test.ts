// The certificate gate inside the job engine: the engine's own requests (axios over new
// http.ClientRequest with the job's gated agent) against a real HTTPS server; the job states and errors
// that BITS gives for a decline, an absent validator, and the fix.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Issued } from '../../support/certs';
import { listNames, openEngine, sandbox, startJob, waitForState, type Sandbox } from '../../support/engine';
import { sha256, startTlsServer, testBytes, type TestServer } from '../../support/servers';
import { Codes, ErrorContext } from '../../../src/core/errors';
import { JobState } from '../../../src/core/model/job';
import type { JobEngine } from '../../../src/core/jobs/engine';
import { CertificateService } from '../../../src/core/tls/service';
import { GatedConnectionProvider } from '../../../src/core/net/connection-provider';
import { WorkspaceValidatorController } from '../../../src/validator/workspace-validator';
import { nextState, tempWorkspace, writeCountingValidator, writePolicy } from './fixtures';

let ca: Issued;
let server: TestServer;
const bodyA = testBytes(300_000, 7);
const bodyB = testBytes(120_000, 8);

before(async () => {
  ({ server, ca } = await startTlsServer());
  server.route('/a.bin', { body: bodyA });
  server.route('/b.bin', { body: bodyB });
});
after(() => server.close());

interface World {
  box: Sandbox;
  dir: string;
  engine: JobEngine;
  service: CertificateService;
  controller: WorkspaceValidatorController;
}

async function world(fn: (w: World) => Promise<void>) {
  const box = sandbox();
  const dir = tempWorkspace();
  const service = new CertificateService({
    trust: { includeDefaultRoots: false, extraCaPem: [ca.cert] },
    rejectionLog: { file: join(box.store, 'rejections.jsonl') },
  });
  const ref: { engine?: JobEngine } = {};
  const provider = new GatedConnectionProvider(service, { jobLookup: (id) => ref.engine?.getJob(id) });
  const controller = new WorkspaceValidatorController(service, { debounceMs: 50 });
  const engine = await openEngine(box, { connections: provider });
  ref.engine = engine;
  try {
    await fn({ box, dir, engine, service, controller });
  } finally {
    await engine.dispose();
    controller.dispose();
    provider.dispose();
    await service.dispose();
    await box.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

const files = () => [
  { url: server.url('/a.bin'), name: 'a.bin' },
  { url: server.url('/b.bin'), name: 'b.bin' },
];

describe('the gate in the job engine', () => {
  test('accepted: both files arrive whole, with one validator call for the endpoint and certificate', async () => {
    await world(async ({ box, dir, engine, controller }) => {
      const v = writeCountingValidator(dir);
      await controller.configure({ file: v.file, trusted: true });
      const job = await startJob(engine, box, files(), { displayName: 'accepted', minimumRetryDelay: 0, validator: 'workspace' });
      await waitForState(engine, job.id, JobState.TRANSFERRED);
      await engine.complete(job.id);
      assert.equal(sha256(readFileSync(join(box.dest, 'a.bin'))), sha256(bodyA));
      assert.equal(sha256(readFileSync(join(box.dest, 'b.bin'))), sha256(bodyB));
      assert.equal(v.calls().length, 1);
    });
  });

  test('declined: TRANSIENT_ERROR, context SERVER_CERTIFICATE_CALLBACK, the validator code and reason; no request reached the server; fixed, it completes', async () => {
    await world(async ({ box, dir, engine, service, controller }) => {
      const v = writeCountingValidator(dir, "return { code: 0x800b0109, reason: 'pin mismatch' };");
      await controller.configure({ file: v.file, trusted: true });
      const before = server.requests.length;
      const job = await startJob(engine, box, files(), { displayName: 'declined', minimumRetryDelay: 60, validator: 'workspace' });
      const failed = await waitForState(engine, job.id, JobState.TRANSIENT_ERROR);
      assert.equal(failed.error?.context, ErrorContext.SERVER_CERTIFICATE_CALLBACK);
      assert.equal(failed.error?.code, 0x800b0109);
      assert.match(failed.error?.description ?? '', /pin mismatch/);
      assert.equal(server.requests.length, before, 'not one request reached the server');
      assert.deepEqual(
        listNames(box.dest).filter((n) => !n.startsWith('.')),
        [],
      );
      await service.rejections.flush();
      const logged = readFileSync(join(box.store, 'rejections.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.ok(logged.some((l) => l.record?.jobId === job.id && l.record.code === 0x800b0109 && l.record.fileIndex === 0));
      // The fix: the policy accepts; retry now.
      const loaded = nextState(service, (s) => s.status === 'loaded');
      writePolicy(dir, 'return 0;');
      await loaded;
      await engine.retryNow(job.id);
      await waitForState(engine, job.id, JobState.TRANSFERRED);
      assert.ok(v.calls().length >= 2, 'called again after the decline');
    });
  });

  test('configured validator not loaded: ERROR with BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED; set it, resume, success', async () => {
    await world(async ({ box, dir, engine, controller }) => {
      await controller.configure({ file: join(dir, 'not-yet.ts'), trusted: true });
      const job = await startJob(engine, box, files(), { displayName: 'needs validator', minimumRetryDelay: 0, validator: 'workspace' });
      const failed = await waitForState(engine, job.id, [JobState.ERROR, JobState.TRANSIENT_ERROR]);
      assert.equal(failed.state, JobState.ERROR);
      assert.equal(failed.error?.code, Codes.BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED);
      assert.match(failed.error?.description ?? '', /does not exist/);
      const v = writeCountingValidator(dir);
      await controller.configure({ file: v.file, trusted: true });
      await engine.resume(job.id);
      await waitForState(engine, job.id, JobState.TRANSFERRED);
    });
  });

  test('an API validator (last setter wins) judges its job; a job without one after a restart gets INTERFACE_REQUIRED', async () => {
    await world(async ({ box, engine, service }) => {
      const job = await engine.createJob({ displayName: 'api', minimumRetryDelay: 0, validator: 'api' });
      for (const f of files()) await engine.addFile(job.id, { remoteUrl: f.url, localPath: join(box.dest, f.name) });
      await engine.resume(job.id);
      const failed = await waitForState(engine, job.id, JobState.ERROR);
      assert.equal(failed.error?.code, Codes.BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED);
      assert.match(failed.error?.description ?? '', /setCertificateValidator/);
      const seen: string[] = [];
      service.setJobValidator(job.id, () => ({ code: 0x80070005, reason: 'first setter' }));
      service.setJobValidator(job.id, (input) => {
        seen.push(input.file.remoteUrl);
        return 0;
      });
      await engine.resume(job.id);
      await waitForState(engine, job.id, JobState.TRANSFERRED);
      assert.deepEqual(seen, [server.url('/a.bin')]);
    });
  });
});
