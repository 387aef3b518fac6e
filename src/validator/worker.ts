// The validator worker: runs the compiled workspace validator, isolated from the extension host, and
// answers one call at a time per message (calls may overlap when the validator is asynchronous).
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { format } from 'node:util';
import * as vm from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import * as helper from './helper';
import { setLogSink, type HelperLogLevel } from './helpers/log';
import { interpretResult, interpretThrow } from '../core/tls/validator-outcome';
import { HELPER_MODULE } from './compiler-constants';
import { installStackMapping, stackMapperFor } from './stack-map';
import { VALIDATOR_WRAPPER as WRAPPER } from './vm-wrapper';
import type { FromWorker, ToWorker, WorkerData } from './worker-protocol';
import type { Validator } from './managed-downloads-validator';

const port = parentPort;
if (!port) throw new Error('the validator worker must run in a worker thread');
const { file, code } = workerData as WorkerData;

function post(message: FromWorker): void {
  port?.postMessage(message);
}

// A validator that logs on every call must not flood the extension's log: at most LOG_BUDGET lines per
// window, then one line saying how many were dropped.
const LOG_BUDGET = 100;
const LOG_WINDOW_MS = 10_000;
let windowStart = 0;
let windowLines = 0;
let dropped = 0;

function logLine(level: HelperLogLevel, message: string): void {
  const now = Date.now();
  if (now - windowStart > LOG_WINDOW_MS) {
    if (dropped > 0) post({ type: 'log', level: 'warn', message: `${dropped} log line(s) of the validator were dropped (more than ${LOG_BUDGET} in ${LOG_WINDOW_MS / 1000} s)` });
    windowStart = now;
    windowLines = 0;
    dropped = 0;
  }
  if (++windowLines > LOG_BUDGET) {
    dropped++;
    return;
  }
  post({ type: 'log', level, message: message.length > 4000 ? message.slice(0, 4000) + '...' : message });
}

setLogSink(logLine);
// console.log in a validator is for its author: it goes to the same log.
for (const [method, level] of [['log', 'info'], ['info', 'info'], ['debug', 'info'], ['warn', 'warn'], ['error', 'error']] as const) {
  console[method] = (...args: unknown[]) => logLine(level, format(...args));
}

const mapper = stackMapperFor(file, code, WRAPPER.length);
if (mapper) installStackMapping(file, mapper);

/** file:line:column of the first stack frame in the validator's own .ts files, for the error message. */
function whereIn(error: unknown): string | undefined {
  const stack = (error as Error | undefined)?.stack;
  if (!stack) return undefined;
  const ownFiles = mapper ? [...mapper.sources] : [dirname(file)];
  for (const line of stack.split('\n').slice(1)) {
    // `at fn (/a path/with spaces/v.ts:3:9)` or `at /path/v.ts:3:9`
    const m = /^\s*at (?:.* \()?(.+?):(\d+):(\d+)\)?\s*$/.exec(line);
    if (m && ownFiles.some((f) => m[1] === f || m[1].startsWith(f))) return `${m[1]}:${m[2]}:${m[3]}`;
  }
  return undefined;
}

function load(): Validator {
  const moduleObject: { exports: Record<string, unknown> } = { exports: {} };
  const nodeRequire = createRequire(file);
  const requireForValidator = (name: string): unknown => (name === HELPER_MODULE ? helper : nodeRequire(name));
  const wrapper = vm.runInThisContext(`${WRAPPER}${code}\n})`, { filename: file }) as (...args: unknown[]) => void;
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
      const where = whereIn(e);
      outcome = interpretThrow({ message: err.message, code: err.code, where });
      const endpoint = `${message.input.endpoint.host}:${message.input.endpoint.port}`;
      logLine('error', `validate() threw for ${endpoint}: ${err.message ?? String(e)}${where ? ` (at ${where})` : ` (in ${file})`}; the certificate is declined`);
    }
    post({ type: 'outcome', id: message.id, outcome });
  })();
});
