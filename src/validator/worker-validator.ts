// The workspace validator as the certificate service sees it: compiled code running in a process of its
// own (validator-process.ts: empty environment, Node's permission model), whose whole life is bounded:
// its load (the file's top-level code) and each call in time, its memory by a ceiling that covers
// Buffers too. A validator that overruns is stopped (the process is killed, nothing is left running) and
// its callers get an INTERFACE_REQUIRED; the next call starts a fresh process. Nothing the validator
// does (exit, abort, signals, a crash) reaches the host.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import {
  capText,
  checkedOutcome,
  MAX_LOG_LINE_CHARS,
  MAX_REASON_CHARS,
  type LoadedValidator,
  type ValidatorOutcome,
} from '../core/tls/validator-outcome';
import type { ValidationInput } from './managed-downloads-validator';
import { loadEsbuild, type CompiledValidator } from './compiler';
import { FrameReader } from './frames';
import { LOG_BUDGET, LogBudget } from './log-budget';
import { describeStuck, type StuckLocation } from './stuck-location';
import { sendToProcess, spawnValidatorProcess, validatorProcessArgs } from './validator-process';
import type { FromProcess } from './worker-protocol';

export type LogLevel = 'info' | 'warn' | 'error';
export type ValidatorLogger = (level: LogLevel, message: string) => void;

export interface WorkerValidatorOptions {
  /**
   * Heap limit of the validator in MiB (default 128). The process as a whole (heap, Buffers, the runtime)
   * is stopped when its resident memory passes this plus RUNTIME_ALLOWANCE_MB.
   */
  memoryLimitMb?: number;
  /** Milliseconds the file's top-level code may take to load (default 5,000: a call's default limit). */
  loadTimeLimitMs?: number;
  /** Aborting stops a load in progress (the file was saved again): its process is killed at once. */
  signal?: AbortSignal;
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
    await esbuild.build({
      entryPoints: [source],
      outfile: out,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      logLevel: 'silent',
    });
    return out;
  })().catch((e: unknown) => {
    workerScript = undefined;
    throw e;
  });
  return workerScript;
}

/** Room for the runtime (Node, the supervisor, the validator thread's own overhead) above the validator's heap limit. */
export const RUNTIME_ALLOWANCE_MB = 128;
/** How long a process may take to come up on a busy machine; the load's own limit counts from then. */
const PROCESS_START_LIMIT_MS = 30_000;
/** How long the host waits to learn where a stopped validator was stuck before it kills the process anyway. */
const LOCATE_WAIT_MS = 1_000;
/** The largest message the host reads from the validator's process (a reason and a log line are capped far below). */
export const MAX_FRAME_BYTES = 64 * 1024;

interface Pending {
  resolve(outcome: ValidatorOutcome): void;
  timer: NodeJS.Timeout;
}

/** One validator process as the host sees it. */
interface RunningProcess {
  child: ChildProcess;
  pending: Map<number, Pending>;
  /** Why it stopped, when it said so before exiting (memory overrun, the validator thread died). */
  stopReason?: string;
  located?: (location: StuckLocation) => void;
  exited: Promise<void>;
  hasExited: boolean;
}

export class WorkerValidator implements LoadedValidator {
  private proc?: RunningProcess;
  private starting?: Promise<RunningProcess>;
  private launching?: RunningProcess;
  private nextId = 1;
  private disposed = false;
  /** The supervisor keeps to LOG_BUDGET; this catches a process that writes to its pipe around it. */
  private readonly logBudget = new LogBudget(2 * LOG_BUDGET);
  readonly description: string;

  private constructor(
    readonly compiled: CompiledValidator,
    private readonly script: string,
    private readonly options: WorkerValidatorOptions,
  ) {
    this.description = compiled.file;
  }

  /** Starts the process and waits until the validator is loaded; a file that does not load throws ValidatorLoadError. */
  static async start(compiled: CompiledValidator, options: WorkerValidatorOptions = {}): Promise<WorkerValidator> {
    const v = new WorkerValidator(compiled, await workerScriptPath(), options);
    await v.ensureProcess();
    return v;
  }

  /** The pid of the running process, if one runs (for tests and diagnostics). */
  get pid(): number | undefined {
    return this.proc?.child.pid;
  }

  private ensureProcess(): Promise<RunningProcess> {
    if (this.proc) return Promise.resolve(this.proc);
    this.starting ??= new Promise<RunningProcess>((resolve, reject) => this.launch(resolve, reject));
    return this.starting;
  }

  private launch(resolve: (p: RunningProcess) => void, reject: (e: Error) => void): void {
    const loadLimitMs = this.options.loadTimeLimitMs ?? 5000;
    const signal = this.options.signal;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let child: ChildProcess;
    try {
      if (signal?.aborted) throw new Error('it was replaced by a newer load');
      child = spawnValidatorProcess(this.script, this.compiled.file);
    } catch (e) {
      this.starting = undefined;
      reject(new ValidatorLoadError((e as Error).message));
      return;
    }
    const proc: RunningProcess = {
      child,
      pending: new Map(),
      hasExited: false,
      exited: new Promise((r) => {
        child.once('exit', () => r());
        child.once('error', () => r());
      }),
    };
    this.launching = proc;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      this.starting = undefined;
      this.launching = undefined;
      void this.kill(proc);
      reject(new ValidatorLoadError(why));
    };
    const onAbort = () => fail('it was replaced by a newer load (the file changed); its process was stopped');
    signal?.addEventListener('abort', onAbort, { once: true });
    timer = setTimeout(() => fail(`its process did not start within ${PROCESS_START_LIMIT_MS / 1000} s`), PROCESS_START_LIMIT_MS);

    const loadTimedOut = async () => {
      const where = describeStuck(await this.locate(proc), this.compiled.file);
      fail(`its top-level code did not finish loading within ${loadLimitMs} ms (${where}); the validator process was stopped`);
    };
    const onMessage = (m: FromProcess) => {
      switch (m.type) {
        case 'started':
          if (settled) return;
          clearTimeout(timer);
          timer = setTimeout(() => void loadTimedOut(), loadLimitMs);
          return;
        case 'ready':
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          this.launching = undefined;
          this.starting = undefined;
          this.proc = proc;
          this.refWhileBusy();
          resolve(proc);
          return;
        case 'load-error':
          fail(capText(m.message, MAX_LOG_LINE_CHARS));
          return;
        case 'log':
          this.log(m.level === 'warn' || m.level === 'error' ? m.level : 'info', capText(m.message, MAX_LOG_LINE_CHARS));
          return;
        case 'outcome':
          this.answered(proc, m.id, checkedOutcome(m.outcome));
          return;
        case 'located':
          proc.located?.(m.location);
          return;
        case 'memory':
          proc.stopReason ??= `it used more memory than allowed (${Number(m.rssMb)} MiB resident, over the ceiling of ${Number(m.limitMb)} MiB: the validator's heap limit plus ${RUNTIME_ALLOWANCE_MB} MiB for the runtime); the validator process was stopped`;
          return;
        case 'died':
          proc.stopReason ??= `it crashed (${capText(m.why, MAX_REASON_CHARS)})`;
          return;
      }
    };
    let spoke = false;
    const protocolError = (why: string) => {
      proc.stopReason ??= `${why}; the validator process was stopped`;
      void this.kill(proc);
    };
    const reader = new FrameReader(
      MAX_FRAME_BYTES,
      (payload) => {
        spoke = true;
        let message: unknown;
        try {
          message = JSON.parse(payload.toString('utf8'));
        } catch {
          protocolError('its process wrote something that is not a message');
          return;
        }
        const type = (message as { type?: unknown } | null)?.type;
        if (typeof type !== 'string') protocolError('its process wrote something that is not a message');
        else onMessage(message as FromProcess);
      },
      (bytes) => protocolError(`its process wrote a message of ${bytes} bytes (at most ${MAX_FRAME_BYTES} are read)`),
    );
    child.stdout?.on('data', (chunk: Buffer) => reader.push(chunk));
    child.stdin?.on('error', () => undefined); // the process died; its exit says why
    const stopped = (why: string) => {
      proc.hasExited = true;
      fail(why);
      if (this.proc === proc) {
        this.proc = undefined;
        this.failPending(proc, why);
      }
    };
    child.on('error', (e) => stopped(proc.stopReason ?? `its process could not be run (${e.message})`));
    child.on('exit', (code, sig) => {
      const how = sig ?? `code ${code}`;
      // A process that ends before its first word never ran the validator: most likely this runtime
      // refused the flags (an Electron or Node without the permission model).
      if (!spoke)
        stopped(
          proc.stopReason ??
            `its process ended before it started (${how}); this runtime (${process.execPath}, Node ${process.version}) may not accept ${validatorProcessArgs(this.script, this.compiled.file).slice(0, -1).join(' ')}`,
        );
      else stopped(proc.stopReason ?? `it crashed (its process exited with ${how})`);
    });
    sendToProcess(child, {
      type: 'load',
      file: this.compiled.file,
      code: this.compiled.code,
      heapLimitMb: this.heapLimitMb,
      rssLimitMb: this.heapLimitMb + RUNTIME_ALLOWANCE_MB,
    });
  }

  private get heapLimitMb(): number {
    return this.options.memoryLimitMb ?? 128;
  }

  private answered(proc: RunningProcess, id: unknown, outcome: ValidatorOutcome): void {
    const p = typeof id === 'number' ? proc.pending.get(id) : undefined;
    if (!p) return;
    clearTimeout(p.timer);
    proc.pending.delete(id as number);
    this.refWhileBusy();
    p.resolve(outcome);
  }

  /** A line of the validator's, prefixed with its file name so that the log says whose it is. */
  private log(level: LogLevel, message: string): void {
    const prefix = `validator ${basename(this.compiled.file)}: `;
    if (this.logBudget.admit(Date.now(), (dropped) => this.options.log?.('warn', prefix + dropped)))
      this.options.log?.(level, prefix + message);
  }

  /** An idle process must not keep a CLI alive; a busy (or starting) one must. */
  private refWhileBusy(): void {
    const proc = this.proc;
    if (!proc) return;
    const busy = proc.pending.size > 0;
    for (const handle of [proc.child, proc.child.stdin, proc.child.stdout]) {
      const h = handle as { ref?: () => void; unref?: () => void } | null;
      if (busy) h?.ref?.();
      else h?.unref?.();
    }
  }

  private failPending(proc: RunningProcess, reason: string): void {
    for (const [id, p] of proc.pending) {
      clearTimeout(p.timer);
      p.resolve({ kind: 'unavailable', reason });
      proc.pending.delete(id);
    }
  }

  private kill(proc: RunningProcess): Promise<void> {
    if (!proc.hasExited && proc.child.exitCode === null && proc.child.signalCode === null) {
      // Whoever awaits the exit (dispose, a test counting processes) must not see the loop end first.
      proc.child.ref();
      proc.child.kill('SIGKILL');
    }
    return proc.exited;
  }

  /** Asks the process where its validator thread is (bounded: a thread blocked in a system call may not say). */
  private locate(proc: RunningProcess): Promise<StuckLocation> {
    if (proc.hasExited) return Promise.resolve({ kind: 'unknown', why: 'the validator process had already stopped' });
    return new Promise<StuckLocation>((resolve) => {
      const timer = setTimeout(
        () => done({ kind: 'unknown', why: `the validator process did not say within ${LOCATE_WAIT_MS} ms` }),
        LOCATE_WAIT_MS,
      );
      const done = (location: StuckLocation) => {
        clearTimeout(timer);
        proc.located = undefined;
        resolve(location);
      };
      proc.located = (raw) => done(checkedLocation(raw));
      void proc.exited.then(() => done({ kind: 'unknown', why: 'the validator process stopped while it was asked' }));
      try {
        sendToProcess(proc.child, { type: 'locate' });
      } catch {
        done({ kind: 'unknown', why: 'the validator process could not be asked' });
      }
    });
  }

  async validate(input: ValidationInput, timeLimitMs: number): Promise<ValidatorOutcome> {
    if (this.disposed) return { kind: 'unavailable', reason: 'it was unloaded' };
    let proc: RunningProcess;
    try {
      proc = await this.ensureProcess();
    } catch (e) {
      return { kind: 'unavailable', reason: `it could not be started again (${(e as Error).message})` };
    }
    const id = this.nextId++;
    return new Promise<ValidatorOutcome>((resolve) => {
      const timer = setTimeout(() => void this.timedOut(proc, id, input, timeLimitMs, resolve), timeLimitMs);
      proc.pending.set(id, { resolve, timer });
      this.refWhileBusy();
      try {
        sendToProcess(proc.child, { type: 'call', id, input });
      } catch (e) {
        this.answered(proc, id, { kind: 'unavailable', reason: `the call could not be sent to it (${(e as Error).message})` });
      }
    });
  }

  /**
   * A call did not answer in time. Its process is taken out of service at once (the next call starts a
   * fresh one), asked where the validator is stuck, and then killed: nothing of it keeps running.
   */
  private async timedOut(
    proc: RunningProcess,
    id: number,
    input: ValidationInput,
    timeLimitMs: number,
    resolve: (outcome: ValidatorOutcome) => void,
  ): Promise<void> {
    proc.pending.delete(id);
    if (this.proc === proc) {
      this.proc = undefined;
      this.failPending(proc, `it was stopped because a call did not answer within ${timeLimitMs} ms`);
    }
    const where = describeStuck(await this.locate(proc), this.compiled.file);
    this.log(
      'error',
      `validate() for ${input.endpoint.host}:${input.endpoint.port} did not answer within ${timeLimitMs} ms (${where}); the validator process was stopped and the job gets BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED`,
    );
    resolve({
      kind: 'unavailable',
      reason: `it did not answer within ${timeLimitMs} ms (setting managedDownloads.validatorTimeLimit), ${where}; the validator process was stopped`,
    });
    await this.kill(proc);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const running = [this.proc, this.launching].filter((p): p is RunningProcess => p !== undefined);
    this.proc = undefined;
    for (const proc of running) {
      this.failPending(proc, 'it was unloaded');
      await this.kill(proc);
    }
  }
}

/** A location as the process reported it, checked: its strings capped, anything else unknown. */
function checkedLocation(raw: unknown): StuckLocation {
  const l = (typeof raw === 'object' && raw !== null ? raw : {}) as { kind?: unknown; where?: unknown; why?: unknown };
  const text = (v: unknown) => capText(typeof v === 'string' ? v : '', MAX_REASON_CHARS);
  if (l.kind === 'running' || l.kind === 'elsewhere') return { kind: l.kind, where: text(l.where) };
  if (l.kind === 'idle') return { kind: 'idle' };
  return { kind: 'unknown', why: text(l.why) };
}
