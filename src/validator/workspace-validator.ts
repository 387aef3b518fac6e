// Keeps the certificate service's workspace validator current: compiles the file, runs it in a process of
// its own (worker-validator.ts), watches it and everything it imports, and reloads on change (which clears
// every attached job's cache and closes their pooled connections; a load still running is stopped).
// Shared by the extension (src/ui/certificates/validatorBinding.ts) and the CLI (--validator FILE.ts). Trust is
// told from outside: an untrusted file is never compiled or run.
import type { CertificateService, WorkspaceValidatorState } from '../core/tls/service';
import {
  compileValidator,
  fingerprintOf,
  formatDiagnostic,
  loadErrorDiagnostic,
  ValidatorCompileError,
  type CompileDiagnostic,
} from './compiler';
import { FileSetWatcher } from './file-watcher';
import { WorkerValidator, type LogLevel, type ValidatorLogger, type WorkerValidatorOptions } from './worker-validator';

export type { LogLevel, ValidatorLogger };

export interface WorkspaceValidatorOptions extends WorkerValidatorOptions {
  /** The controller's own lines (loaded, compile errors) and, through the worker, the validator's. */
  log?: ValidatorLogger;
  /** Watch the file and its imports (default true; the CLI's one-shot runs may turn it off). */
  watch?: boolean;
  debounceMs?: number;
}

export interface ValidatorConfig {
  /** Absolute path of the validator file; undefined when the setting is empty. */
  file?: string;
  /** Whether the workspace is trusted; the file is never compiled or run when it is not. */
  trusted: boolean;
}

export class WorkspaceValidatorController {
  private config: ValidatorConfig = { trusted: false };
  private readonly watcher?: FileSetWatcher;
  private loadedFingerprint?: string;
  private sequence = 0;
  private current: Promise<WorkspaceValidatorState> = Promise.resolve({ status: 'unset' });
  private lastDiagnostics: CompileDiagnostic[] = [];
  private readonly log: ValidatorLogger;
  /** Stops the load in progress when a newer one starts (a looping top level must not outlive a save). */
  private loadInProgress?: AbortController;

  constructor(
    private readonly service: CertificateService,
    private readonly options: WorkspaceValidatorOptions = {},
  ) {
    this.log = options.log ?? (() => undefined);
    if (options.watch !== false) this.watcher = new FileSetWatcher((files) => void this.onFilesChanged(files), options.debounceMs ?? 100);
  }

  /** Compile errors of the last load (for diagnostics in the editor). */
  get diagnostics(): CompileDiagnostic[] {
    return this.lastDiagnostics;
  }

  /** New setting or trust: reloads when either changed. Resolves with the resulting state. */
  configure(config: ValidatorConfig): Promise<WorkspaceValidatorState> {
    const same = config.file === this.config.file && config.trusted === this.config.trusted;
    this.config = { ...config };
    return same ? this.current : this.reload('the validator setting or workspace trust changed');
  }

  /** Recompiles and reloads now (command "Reload Certificate Validator"), even when nothing changed. */
  reload(reason = 'reload requested'): Promise<WorkspaceValidatorState> {
    this.loadedFingerprint = undefined;
    return this.load(reason);
  }

  /** Resolves when the latest load has settled. */
  settled(): Promise<WorkspaceValidatorState> {
    return this.current;
  }

  private async onFilesChanged(files: string[]): Promise<void> {
    const state = this.service.workspaceValidator;
    // Editors touch files without changing them; only a real change reloads (and clears caches).
    if (
      state.status === 'loaded' &&
      this.loadedFingerprint &&
      state.validator instanceof WorkerValidator &&
      fingerprintOf(state.validator.compiled.inputs) === this.loadedFingerprint
    )
      return;
    await this.load(`changed: ${files.join(', ')}`);
  }

  private load(reason: string): Promise<WorkspaceValidatorState> {
    const seq = ++this.sequence;
    this.loadInProgress?.abort();
    this.loadInProgress = undefined;
    this.current = this.doLoad(seq, reason).catch((e: unknown) => {
      this.log('error', `certificate validator: unexpected failure while loading: ${(e as Error).stack ?? e}`);
      return this.service.workspaceValidator;
    });
    return this.current;
  }

  private set(seq: number, state: WorkspaceValidatorState): WorkspaceValidatorState {
    if (seq === this.sequence) this.service.setWorkspaceValidator(state);
    return state;
  }

  private async doLoad(seq: number, reason: string): Promise<WorkspaceValidatorState> {
    const { file, trusted } = this.config;
    this.lastDiagnostics = [];
    if (!file) {
      this.watcher?.watch([]);
      return this.set(seq, { status: 'unset' });
    }
    if (!trusted) {
      this.watcher?.watch([]);
      this.log('warn', `certificate validator ${file}: the workspace is not trusted, so the file is not compiled or run`);
      return this.set(seq, { status: 'untrusted', file });
    }
    let settle!: () => void;
    const settled = new Promise<void>((r) => (settle = r));
    this.set(seq, { status: 'loading', file, settled });
    let inputs = [file];
    try {
      const compiled = await compileValidator(file);
      inputs = compiled.inputs;
      this.watcher?.watch(inputs);
      if (seq !== this.sequence) return this.current;
      const abort = (this.loadInProgress = new AbortController());
      // The file's top-level code has the time limit of a call.
      const validator = await WorkerValidator.start(compiled, {
        loadTimeLimitMs: this.service.validatorTimeLimitMs,
        ...this.options,
        signal: abort.signal,
      });
      if (this.loadInProgress === abort) this.loadInProgress = undefined;
      if (seq !== this.sequence) {
        await validator.dispose();
        return this.current;
      }
      this.loadedFingerprint = compiled.fingerprint;
      this.log(
        'info',
        `certificate validator ${file} loaded (${reason}); ${compiled.inputs.length} file(s) watched; every attached job's certificate cache cleared`,
      );
      return this.set(seq, { status: 'loaded', file, validator });
    } catch (e) {
      // A newer load replaced this one (a save while it started): its outcome is the answer, and this one's
      // failure, which is only that it was stopped, is no news for the log or the diagnostics.
      if (seq !== this.sequence) return this.current;
      this.loadedFingerprint = undefined;
      if (e instanceof ValidatorCompileError) {
        this.watcher?.watch(e.inputs);
        if (e.missing) {
          this.log(
            'warn',
            `certificate validator ${file} does not exist; jobs that need it wait with BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED`,
          );
          return this.set(seq, { status: 'missing', file });
        }
        this.lastDiagnostics = e.diagnostics;
        const message = e.diagnostics.map(formatDiagnostic).join('; ');
        this.log('error', `certificate validator does not compile: ${message}`);
        return this.set(seq, { status: 'compile-error', file, message });
      }
      this.watcher?.watch(inputs);
      const message = (e as Error).message;
      this.lastDiagnostics = [loadErrorDiagnostic(file, message)];
      this.log('error', `certificate validator ${file} could not be loaded: ${message}`);
      return this.set(seq, { status: 'compile-error', file, message });
    } finally {
      settle();
    }
  }

  dispose(): void {
    this.sequence++;
    this.loadInProgress?.abort();
    this.watcher?.dispose();
  }
}
