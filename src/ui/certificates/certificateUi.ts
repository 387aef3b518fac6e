// What the UI needs from certificate validation: the service (cache, rejection log, per-job validators),
// available once the engine is open, and a way to reload the workspace validator.
import type { CertificateService, WorkspaceValidatorState } from '../../core/tls/service';

export interface CertificateUi {
  /** The service, opening the engine (and its connection path) if needed. */
  service(): Promise<CertificateService>;
  /** Recompiles and reloads the workspace validator file now; every attached job's cache is cleared. */
  reloadValidator(): Promise<WorkspaceValidatorState>;
}
