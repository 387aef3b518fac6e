// The validator worker: runs the compiled workspace validator, isolated from the extension host, and
// answers one call at a time per message (calls may overlap when the validator is asynchronous).
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as vm from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import * as helper from './helper';
import { interpretResult, interpretThrow } from '../core/tls/validator-outcome';
import { HELPER_MODULE } from './compiler-constants';
import type { FromWorker, ToWorker, WorkerData } from './worker-protocol';
import type { Validator } from './managed-downloads-validator';

const port = parentPort;
if (!port) throw new Error('the validator worker must run in a worker thread');
const { file, code } = workerData as WorkerData;

function post(message: FromWorker): void {
  port?.postMessage(message);
}

/** file:line of the first stack frame in the validator's own files, for the error message. */
function whereIn(error: unknown): string | undefined {
  const stack = (error as Error | undefined)?.stack;
  if (!stack) return undefined;
  const dir = dirname(file);
  const frame = stack.split('\n').find((l) => l.includes(dir));
  const m = frame && /\(?([^()\s]+:\d+:\d+)\)?\s*$/.exec(frame);
  return m ? m[1] : undefined;
}

function load(): Validator {
  process.setSourceMapsEnabled?.(true);
  const moduleObject: { exports: Record<string, unknown> } = { exports: {} };
  const nodeRequire = createRequire(file);
  const requireForValidator = (name: string): unknown => (name === HELPER_MODULE ? helper : nodeRequire(name));
  const wrapper = vm.runInThisContext(`(function (exports, require, module, __filename, __dirname) {${code}\n})`, { filename: file }) as (...args: unknown[]) => void;
  wrapper(moduleObject.exports, requireForValidator, moduleObject, file, dirname(file));
  const exported = moduleObject.exports;
  const candidate = typeof exported === 'function' ? exported : (exported.default ?? exported.validate);
  if (typeof candidate !== 'function') throw new Error(`${file} has no default export function (export default function validate(input) { ... })`);
  return candidate as Validator;
}

let validate: Validator;
try {
  validate = load();
  post({ type: 'ready' });
} catch (e) {
  const where = whereIn(e);
  post({ type: 'load-error', message: `${(e as Error).message ?? String(e)}${where ? ` (at ${where})` : ''}` });
  process.exit(0);
}

port.on('message', (message: ToWorker) => {
  if (message.type !== 'call') return;
  void (async () => {
    let outcome;
    try {
      outcome = interpretResult(await validate(message.input));
    } catch (e) {
      const err = (typeof e === 'object' && e !== null ? e : { message: String(e) }) as { message?: string; code?: unknown };
      outcome = interpretThrow({ message: err.message, code: err.code, where: whereIn(e) });
    }
    post({ type: 'outcome', id: message.id, outcome });
  })();
});
