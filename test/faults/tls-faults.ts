// A certificate change mid-job: the server is renewed between the connection that drops and the one that
// resumes; the workspace validator (phase 2) must be called for the new certificate, and the file arrives whole.
import { rmSync } from 'node:fs';
import { JobEngine } from '../../src/core/jobs/engine';
import { GatedConnectionProvider } from '../../src/core/net/connection-provider';
import { CertificateService } from '../../src/core/tls/service';
import { WorkspaceValidatorController } from '../../src/validator/workspace-validator';
import { makeCA, makeLeaf } from '../support/certs';
import { FAST, sandbox } from '../support/engine';
import { startServer, testBytes } from '../support/servers';
import { tempWorkspace, writeCountingValidator } from '../unit/validator/fixtures';
import { runJobOnce } from './harness';
import type { Random } from './random';
import { emptyResult, type FaultResult } from './report';

export async function certificateChangeScenario(runs: number, random: Random): Promise<FaultResult> {
  const result = emptyResult('certificate change mid-job (validator called again)');
  const ca = makeCA();
  const first = makeLeaf(ca, { hosts: ['127.0.0.1'] });
  const server = await startServer({ tls: { cert: first.cert, key: first.key } });
  try {
    for (let i = 0; i < runs; i++) {
      server.setCertificate(first.cert, first.key);
      const renewed = makeLeaf(ca, { hosts: ['127.0.0.1'] });
      const body = testBytes(random.int(300_000, 1_200_000), 8500 + i);
      const at = random.int(1, body.length - 1);
      server.route(`/renewed-${i}`, (n) => {
        if (n > 1) return { body };
        // The connection already open keeps the old certificate; the resumed one meets the renewed one.
        server.setCertificate(renewed.cert, renewed.key);
        return { body, resetAfter: at };
      });
      const box = sandbox();
      const dir = tempWorkspace();
      const service = new CertificateService({ trust: { includeDefaultRoots: false, extraCaPem: [ca.cert] } });
      const ref: { engine?: JobEngine } = {};
      const provider = new GatedConnectionProvider(service, { jobLookup: (id) => ref.engine?.getJob(id) });
      const controller = new WorkspaceValidatorController(service, { debounceMs: 50 });
      const validator = writeCountingValidator(dir);
      await controller.configure({ file: validator.file, trusted: true });
      const engine = await JobEngine.open({ storeDir: box.store, ...FAST, connections: provider });
      ref.engine = engine;
      try {
        await runJobOnce(
          result,
          engine,
          box,
          [{ url: server.url(`/renewed-${i}`), name: `renewed-${i}.bin`, expected: body }],
          'complete',
          { displayName: 'renewal', minimumRetryDelay: 0, validator: 'workspace' },
          () => {
            const seen = new Set(validator.calls().map((c) => c.sha256));
            return seen.size === 2 ? undefined : `the validator saw ${seen.size} certificate(s), expected the old and the renewed one`;
          },
        );
      } finally {
        await engine.dispose();
        controller.dispose();
        provider.dispose();
        await service.dispose();
        await box.cleanup();
        rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    await server.close();
  }
  return result;
}
