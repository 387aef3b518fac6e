// The validator process's main thread (the supervisor): started by the host with an empty environment
// under Node's permission model, it runs the validator in a worker thread of its own and stays free to
// watch it. It relays the thread's messages to the host with every string capped, stops the whole
// process when its memory passes the ceiling (a heap limit does not cover Buffers), and, asked by the
// host after a time-out, says where the validator thread is stuck (from a diagnostic report, which
// interrupts even a tight loop; the inspector is not available under the permission model).
import { writeSync } from 'node:fs';
import { deserialize } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { capText, MAX_LOG_LINE_CHARS, MAX_REASON_CHARS } from '../core/tls/validator-outcome';
import { encodeFrame, FrameReader } from './frames';
import { LogBudget } from './log-budget';
import { stackMapperFor, type StackMapper } from './stack-map';
import { locateThread, type StuckLocation } from './stuck-location';
import { VALIDATOR_WRAPPER } from './vm-wrapper';
import type { FromProcess, FromThread, ToProcess, WorkerData } from './worker-protocol';

/**
 * How often the supervisor reads the process's resident memory: often while the validator loads or
 * answers a call (Buffers grow by gigabytes a second), seldom while it idles (each check wakes the
 * process; at 10 ms an idle validator cost 2% of a core).
 */
export const MEMORY_CHECK_BUSY_MS = 10;
export const MEMORY_CHECK_IDLE_MS = 250;

function send(message: FromProcess): void {
  try {
    // Synchronous: the memory watchdog's last word must be out before the process stops itself.
    writeSync(1, encodeFrame(Buffer.from(JSON.stringify(message), 'utf8')));
  } catch {
    process.exit(1); // the host is gone
  }
}

/** The thread's message with its strings cut (the host checks again: it trusts nothing from here). */
function capped(m: FromThread): FromProcess | undefined {
  switch (m?.type) {
    case 'started':
    case 'ready':
      return { type: m.type };
    case 'load-error':
      return { type: 'load-error', message: capText(m.message, MAX_LOG_LINE_CHARS) };
    case 'log':
      return { type: 'log', level: m.level, message: capText(m.message, MAX_LOG_LINE_CHARS) };
    case 'outcome': {
      const o = m.outcome;
      if (o?.kind === 'accept') return m;
      return { type: 'outcome', id: m.id, outcome: { ...o, reason: capText(o?.reason, MAX_REASON_CHARS) } };
    }
    default:
      return undefined;
  }
}

export function runSupervisor(): void {
  let thread: Worker | undefined;
  let loaded: { file: string; code: string } | undefined;
  let mapper: StackMapper | null | undefined;
  /** Calls sent to the thread and not answered yet; -1 until the file has loaded (loading is busy too). */
  let inFlight = -1;
  const busy = () => inFlight !== 0;
  let checkTimer: NodeJS.Timeout | undefined;
  let schedule = () => undefined as void;

  const locate = (): StuckLocation => {
    if (!thread || !loaded) return { kind: 'unknown', why: 'the validator thread is not running' };
    mapper ??= stackMapperFor(loaded.file, loaded.code, VALIDATOR_WRAPPER.length) ?? null;
    return locateThread(thread.threadId, loaded.file, mapper ?? undefined);
  };

  const start = (m: Extract<ToProcess, { type: 'load' }>) => {
    loaded = { file: m.file, code: m.code };
    const limitBytes = m.rssLimitMb * 1024 * 1024;
    const check = () => {
      const rss = process.memoryUsage.rss();
      if (rss > limitBytes) {
        send({ type: 'memory', rssMb: Math.round(rss / 1048576), limitMb: m.rssLimitMb });
        process.kill(process.pid, 'SIGKILL');
      }
      schedule();
    };
    schedule = () => {
      clearTimeout(checkTimer);
      checkTimer = setTimeout(check, busy() ? MEMORY_CHECK_BUSY_MS : MEMORY_CHECK_IDLE_MS);
    };
    schedule();
    thread = new Worker(__filename, {
      workerData: { file: m.file, code: m.code } satisfies WorkerData,
      resourceLimits: {
        maxOldGenerationSizeMb: m.heapLimitMb,
        maxYoungGenerationSizeMb: Math.max(4, Math.min(32, m.heapLimitMb / 4)),
        stackSizeMb: 4,
      },
      env: {},
      // The thread's own stdout is not the host's pipe: whatever it prints there is dropped.
      stdout: true,
      stderr: true,
    });
    thread.stdout.resume();
    thread.stderr.resume();
    const logBudget = new LogBudget();
    thread.on('message', (message: FromThread) => {
      if (message?.type === 'ready') inFlight = 0;
      else if (message?.type === 'outcome' && inFlight > 0) inFlight--;
      else if (message?.type === 'log' && !logBudget.admit(Date.now(), (dropped) => send({ type: 'log', level: 'warn', message: dropped })))
        return;
      const out = capped(message);
      if (out) send(out);
    });
    thread.on('error', (e) => send({ type: 'died', why: capText(e.message, MAX_REASON_CHARS) }));
    thread.on('exit', (code) => {
      send({ type: 'died', why: `the validator thread exited with code ${code}` });
      process.exit(0);
    });
  };

  const reader = new FrameReader(
    1 << 30,
    (payload) => {
      const m = deserialize(payload) as ToProcess;
      if (m.type === 'load' && !thread) start(m);
      else if (m.type === 'call') {
        const wasIdle = !busy();
        inFlight = Math.max(inFlight, 0) + 1;
        thread?.postMessage(m);
        if (wasIdle) schedule(); // from the idle pace to the busy one at once
      } else if (m.type === 'locate') send({ type: 'located', location: locate() });
    },
    () => process.exit(1),
  );
  process.stdin.on('data', (chunk: Buffer) => reader.push(chunk));
  // The host went away (or closed the pipe): the validator goes with it.
  process.stdin.on('end', () => process.exit(0));
}
