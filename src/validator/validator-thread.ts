// The validator thread, inside the validator process: runs the compiled workspace validator and answers
// one call per message (calls may overlap when the validator is asynchronous). Before the validator's
// code runs, the few ways it could reach past its process are closed in this thread's realm: signals
// (process.kill could stop the extension host, whose pid is process.ppid) and new worker threads (a fresh
// realm would have process.kill back). The permission model of the process does the rest (files, child
// processes, native addons); see the validator's .d.ts and docs/validator-sandbox.md.
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { dirname } from 'node:path';
import { format } from 'node:util';
import * as vm from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import * as helper from './helper';
import { setLogSink, type HelperLogLevel } from './helpers/log';
import { capText, interpretResult, interpretThrow, MAX_LOG_LINE_CHARS } from '../core/tls/validator-outcome';
import { HELPER_MODULE } from './compiler-constants';
import { installStackMapping, stackMapperFor } from './stack-map';
import { VALIDATOR_WRAPPER as WRAPPER } from './vm-wrapper';
import type { FromThread, ToProcess, WorkerData } from './worker-protocol';
import type { Validator } from './managed-downloads-validator';

/** Replaces what a validator must not use with a function that throws a clear error. */
function refuse(target: object, name: string, why: string): void {
  const refused = function refused(): never {
    throw Object.assign(new Error(`${name} is not available to a certificate validator: ${why}`), { code: 'ERR_VALIDATOR_SANDBOX' });
  };
  Object.defineProperty(target, name, { value: refused, writable: false, configurable: false, enumerable: false });
}

function closeRoutesOut(): void {
  const signals = 'a validator may not send signals (the extension host would be one kill away)';
  refuse(process, 'kill', signals);
  refuse(process, '_kill', signals);
  // The module object the validator's require gets (not a bundler's copy of it).
  refuse(createRequire(__filename)('node:worker_threads') as object, 'Worker', 'a validator runs in one thread of its own process');
  syncBuiltinESMExports();
}

export function runValidatorThread(): void {
  const port = parentPort;
  if (!port) throw new Error('the validator thread must run in a worker thread');
  const { file, code } = workerData as WorkerData;
  const post = (message: FromThread) => port.postMessage(message);

  // Lines are cut here already (the host cuts again, and limits how many it keeps).
  const logLine = (level: HelperLogLevel, message: string) => post({ type: 'log', level, message: capText(message, MAX_LOG_LINE_CHARS) });
  setLogSink(logLine);
  // console.log in a validator is for its author: it goes to the same log.
  for (const [method, level] of [
    ['log', 'info'],
    ['info', 'info'],
    ['debug', 'info'],
    ['warn', 'warn'],
    ['error', 'error'],
  ] as const) {
    console[method] = (...args: unknown[]) => logLine(level, format(...args));
  }

  const mapper = stackMapperFor(file, code, WRAPPER.length);
  if (mapper) installStackMapping(file, mapper);

  /** file:line:column of the first stack frame in the validator's own .ts files, for the error message. */
  const whereIn = (error: unknown): string | undefined => {
    const stack = (error as Error | undefined)?.stack;
    if (typeof stack !== 'string') return undefined;
    const ownFiles = mapper ? [...mapper.sources] : [dirname(file)];
    for (const line of stack.split('\n').slice(1, 50)) {
      // `at fn (/a path/with spaces/v.ts:3:9)` or `at /path/v.ts:3:9`
      const m = /^\s*at (?:.* \()?(.+?):(\d+):(\d+)\)?\s*$/.exec(line);
      if (m && ownFiles.some((f) => m[1] === f || m[1].startsWith(f))) return `${m[1]}:${m[2]}:${m[3]}`;
    }
    return undefined;
  };

  const messageOf = (e: unknown): string => {
    try {
      const m = (e as { message?: unknown } | undefined)?.message;
      return typeof m === 'string' ? m : String(e);
    } catch {
      return 'an error that cannot be shown as text';
    }
  };

  const load = (): Validator => {
    const moduleObject: { exports: Record<string, unknown> } = { exports: {} };
    const nodeRequire = createRequire(file);
    const requireForValidator = (name: string): unknown => (name === HELPER_MODULE ? helper : nodeRequire(name));
    post({ type: 'started' });
    const wrapper = vm.runInThisContext(`${WRAPPER}${code}\n})`, { filename: file }) as (...args: unknown[]) => void;
    closeRoutesOut();
    wrapper(moduleObject.exports, requireForValidator, moduleObject, file, dirname(file));
    const exported = moduleObject.exports;
    const candidate = typeof exported === 'function' ? exported : (exported.default ?? exported.validate);
    if (typeof candidate !== 'function')
      throw new Error(`${file} has no default export function (export default function validate(input) { ... })`);
    return candidate as Validator;
  };

  let validate: Validator;
  try {
    validate = load();
    post({ type: 'ready' });
  } catch (e) {
    const where = whereIn(e);
    post({ type: 'load-error', message: capText(`${messageOf(e)}${where ? ` (at ${where})` : ''}`, MAX_LOG_LINE_CHARS) });
    return;
  }

  port.on('message', (message: ToProcess) => {
    if (message.type !== 'call') return;
    void (async () => {
      let outcome;
      try {
        outcome = interpretResult(await validate(message.input));
      } catch (e) {
        const err = (typeof e === 'object' && e !== null ? e : {}) as { code?: unknown };
        const where = whereIn(e);
        outcome = interpretThrow({ message: messageOf(e), code: err.code, where });
        const endpoint = `${message.input.endpoint.host}:${message.input.endpoint.port}`;
        logLine(
          'error',
          `validate() threw for ${endpoint}: ${capText(messageOf(e), MAX_LOG_LINE_CHARS)}${where ? ` (at ${where})` : ` (in ${file})`}; the certificate is declined`,
        );
      }
      post({ type: 'outcome', id: message.id, outcome });
    })();
  });
}
