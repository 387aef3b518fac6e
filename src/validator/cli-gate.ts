// The certificate gate as the CLI builds it: the same service, agents, compiler, worker and rules as the
// extension, with the validator named by --validator (trusted: the user named it on the command line),
// CA files from --ca-file, proxies from HTTPS_PROXY / HTTP_PROXY / NO_PROXY, and the rejection log in the
// store folder.
import { resolve } from 'node:path';
import type { JobSnapshot } from '../core/model/job';
import { GatedConnectionProvider } from '../core/net/connection-provider';
import { CertificateService, type WorkspaceValidatorState } from '../core/tls/service';
import { WorkspaceValidatorController, type ValidatorLogger } from './workspace-validator';

import { rejectionLogPath } from '../core/tls/rejection-log';

export { REJECTION_LOG_FILE, rejectionLogPath } from '../core/tls/rejection-log';

export interface CliGateOptions {
  storeDir: string;
  /** --validator FILE.ts, relative to the current folder. */
  validatorFile?: string;
  extraCaFiles?: string[];
  validatorTimeLimitMs?: number;
  /** The engine's freshest snapshot of a job (set once the engine is open). */
  jobLookup?: (jobId: string) => JobSnapshot | undefined;
  log?: ValidatorLogger;
}

export interface CliGate {
  service: CertificateService;
  provider: GatedConnectionProvider;
  controller: WorkspaceValidatorController;
  /** The validator's state once loaded (or why it is not): check it before starting jobs. */
  ready: Promise<WorkspaceValidatorState>;
  dispose(): Promise<void>;
}

export function createCliGate(options: CliGateOptions): CliGate {
  const service = new CertificateService({
    trust: { extraCaFiles: options.extraCaFiles?.map((f) => resolve(f)) },
    rejectionLog: { file: rejectionLogPath(options.storeDir) },
    validatorTimeLimitMs: options.validatorTimeLimitMs,
  });
  const provider = new GatedConnectionProvider(service, { jobLookup: options.jobLookup });
  const controller = new WorkspaceValidatorController(service, { log: options.log });
  const ready = controller.configure({ file: options.validatorFile ? resolve(options.validatorFile) : undefined, trusted: true });
  return {
    service,
    provider,
    controller,
    ready,
    async dispose() {
      controller.dispose();
      provider.dispose();
      await service.dispose();
    },
  };
}
