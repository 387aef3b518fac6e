// The workspace validator as the certificate service sees it: compiled code running in a worker thread
// with a memory limit, each call bounded in time. A hung or crashed worker is stopped and replaced on the
// next call, so a bad validator costs its callers an INTERFACE_REQUIRED, never a frozen extension host.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { LoadedValidator, ValidatorOutcome } from '../core/tls/validator-outcome';
import type { ValidationInput } from './managed-downloads-validator';
import { loadEsbuild, type CompiledValidator } from './compiler';
import { stackMapperFor, type StackMapper } from './stack-map';
import { describeStuck, locateStuckCode } from './stuck-location';
import { VALIDATOR_WRAPPER } from './vm-wrapper';
import type { FromWorker, ToWorker, WorkerData } from './worker-protocol';

export type LogLevel = 'info' | 'warn' | 'error';
export type ValidatorLogger = (level: LogLevel, message: string) => void;

export interface WorkerValidatorOptions {
  /** Heap limit of the worker in MiB (default 128). */
  memoryLimitMb?: number;
  /** Where the validator's log lines (its `log`, its console, its throws and time-outs) go. */
  log?: ValidatorLogger;
}

export class ValidatorLoadError extends Error {
  override name = 'ValidatorLoadError';
}

let workerScript: Promise<string> | undefined;

/**
 * The worker's script: dist/validator-worker.js beside the bundle (esbuild.mjs builds it); when running
 * from source (tests, tsx), worker.ts is bundled once into a temp folder with the same esbuild.
 */
export function workerScriptPath(): Promise<string> {
  workerScript ??= (async () => {
    const bundled = join(__dirname, 'validator-worker.js');
    if (existsSync(bundled)) return bundled;
    const source = join(__dirname, 'worker.ts');
    if (!existsSync(source)) throw new ValidatorLoadError(`the validator worker is missing (${bundled}); reinstall the extension`);
    const dir = join(tmpdir(), 'managed-downloads-worker');
    mkdirSync(dir, { recursive: true });
    const out = join(dir, `validator-worker-${Math.floor(statSync(source).mtimeMs)}-${process.pid}.js`);
    const esbuild = await loadEsbuild();
    await esbuild.build({ entryPoints: [source], outfile: out, bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'silent' });
    return out;
  })().catch((e: unknown) => {
    workerScript = undefined;
    throw e;
  });
  return workerScript;
}

interface Pending {
  resolve(outcome: ValidatorOutcome): void;
  timer: NodeJS.Timeout;
}

export class WorkerValidator implements LoadedValidator {
  private worker?: Worker;
  private starting?: Promise<Worker>;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private disposed = false;
  /** Built on the first time-out (null: the code has no source map). */
  private stackMapper?: StackMapper | null;
  readonly description: string;

  private constructor(
    readonly compiled: CompiledValidator,
    private readonly script: string,
    private readonly options: WorkerValidatorOptions,
  ) {
    this.description = compiled.file;
  }

  /** Starts the worker and waits until the validator is loaded; a file without a validator throws ValidatorLoadError. */
  static async start(compiled: CompiledValidator, options: WorkerValidatorOptions = {}): Promise<WorkerValidator> {
    const v = new WorkerValidator(compiled, await workerScriptPath(), options);
    await v.ensureWorker();
    return v;
  }

  private ensureWorker(): Promise<Worker> {
    if (this.worker) return Promise.resolve(this.worker);
    this.starting ??= new Promise<Worker>((resolve, reject) => {
      const mb = this.options.memoryLimitMb ?? 128;
      const worker = new Worker(this.script, {
        workerData: { file: this.compiled.file, code: this.compiled.code } satisfies WorkerData,
        resourceLimits: { maxOldGenerationSizeMb: mb, maxYoungGenerationSizeMb: Math.max(4, Math.min(32, mb / 4)), stackSizeMb: 4 },
        // The validator gets no copy of the host's environment (tokens, proxy credentials).
        env: {},
        stdout: false,
        stderr: false,
      });
      let ready = false;
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'ready') {
          ready = true;
          this.worker = worker;
          this.starting = undefined;
          this.refWhileBusy();
          resolve(worker);
        } else if (m.type === 'load-error') {
          this.starting = undefined;
          reject(new ValidatorLoadError(m.message));
        } else if (m.type === 'log') {
          this.log(m.level, m.message);
        } else if (m.type === 'outcome') {
          const p = this.pending.get(m.id);
          if (!p) return;
          clearTimeout(p.timer);
          this.pending.delete(m.id);
          this.refWhileBusy();
          p.resolve(m.outcome);
        }
      });
      const died = (why: string) => {
        if (!ready) {
          this.starting = undefined;
          reject(new ValidatorLoadError(why));
        }
        // A worker stopped after a time-out exits while its successor may already have calls running.
        if (this.worker !== worker) return;
        this.worker = undefined;
        this.failPending(`it crashed (${why})`);
      };
      worker.on('error', (e) => died(e.message));
      worker.on('exit', (code) => died(`the worker exited with code ${code}`));
    });
    return this.starting;
  }

  /** An idle worker must not keep a CLI process alive; a busy (or starting) one must. */
  /** A line of the validator's, prefixed with its file name so that the log says whose it is. */
  private log(level: LogLevel, message: string): void {
    this.options.log?.(level, `validator ${basename(this.compiled.file)}: ${message}`);
  }

  private refWhileBusy(): void {
    if (!this.worker) return;
    if (this.pending.size > 0) this.worker.ref();
    else this.worker.unref();
  }

  private failPending(reason: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.resolve({ kind: 'unavailable', reason });
      this.pending.delete(id);
    }
  }

  async validate(input: ValidationInput, timeLimitMs: number): Promise<ValidatorOutcome> {
    if (this.disposed) return { kind: 'unavailable', reason: 'it was unloaded' };
    let worker: Worker;
    try {
      worker = await this.ensureWorker();
    } catch (e) {
      return { kind: 'unavailable', reason: `it could not be started again (${(e as Error).message})` };
    }
    const id = this.nextId++;
    return new Promise<ValidatorOutcome>((resolve) => {
      const timer = setTimeout(() => void this.timedOut(worker, id, input, timeLimitMs, resolve), timeLimitMs);
      this.pending.set(id, { resolve, timer });
      this.refWhileBusy();
      worker.postMessage({ type: 'call', id, input } satisfies ToWorker);
    });
  }

  /**
   * A call did not answer in time. Its worker is taken out of service at once (the next call starts a
   * fresh one), asked where it is stuck, and then stopped: a synchronous loop cannot be interrupted.
   */
  private async timedOut(worker: Worker, id: number, input: ValidationInput, timeLimitMs: number, resolve: (outcome: ValidatorOutcome) => void): Promise<void> {
    this.pending.delete(id);
    if (this.worker === worker) {
      this.worker = undefined;
      this.failPending(`it was stopped because a call did not answer within ${timeLimitMs} ms`);
    }
    this.stackMapper ??= stackMapperFor(this.compiled.file, this.compiled.code, VALIDATOR_WRAPPER.length) ?? null;
    const where = describeStuck(await locateStuckCode({ worker, scriptFile: this.compiled.file, mapper: this.stackMapper ?? undefined }), this.compiled.file);
    this.log('error', `validate() for ${input.endpoint.host}:${input.endpoint.port} did not answer within ${timeLimitMs} ms (${where}); the worker was stopped and the job gets BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED`);
    resolve({ kind: 'unavailable', reason: `it did not answer within ${timeLimitMs} ms (setting managedDownloads.validatorTimeLimit), ${where}; the validator worker was stopped` });
    // Should the probe have left it paused after all, its never-ending termination must not keep a CLI alive.
    worker.unref();
    void worker.terminate();
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.failPending('it was unloaded');
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }
}
