// Where a validator call that did not answer in time was stuck. Before its worker is stopped, the host
// attaches to the worker's thread through the inspector (NodeWorker domain of an in-process session) and
// pauses it: V8 interrupts even a tight synchronous loop, and the paused stack names the vm script's
// position, which the validator's inline source map turns into its .ts file and line. A thread that does
// not pause was idle: the call awaits a promise that never settles, and there is no line to give.
import { pathToFileURL } from 'node:url';
import type { Worker } from 'node:worker_threads';
import type { StackMapper } from './stack-map';

export type StuckLocation =
  /** Paused inside the validator's code: `where` is its .ts file:line:column. */
  | { kind: 'running'; where: string }
  /** Paused, but no frame of the validator was on the stack (a timer or a library callback ran). */
  | { kind: 'elsewhere'; where: string }
  /** The thread did not pause: nothing was running, the call waits for something that never comes. */
  | { kind: 'idle' }
  /** The probe could not tell (no inspector, no answer in time, the worker went away). */
  | { kind: 'unknown'; why: string };

export interface StuckProbeTarget {
  worker: Worker;
  /** The filename the worker gave `vm` for the compiled validator (the validator's own path). */
  scriptFile: string;
  /** Maps a 1-based position of that vm script to the .ts sources; without it, no line is claimed. */
  mapper?: StackMapper;
}

export interface StuckProbeOptions {
  /** The whole probe's bound, cleanup excluded (default 400 ms). */
  budgetMs?: number;
  /** How long after the pause was accepted a busy thread must have paused (default 150 ms). */
  idleAfterMs?: number;
}

const DETACH_WAIT_MS = 200;
const THREAD_IN_TITLE = /^\[worker (\d+)\]/;

interface CallFrame {
  location: { scriptId: string; lineNumber: number; columnNumber: number };
}

/** A message of the worker's own inspector (replies carry `id`, events carry `method`). */
interface WorkerProtocolMessage {
  id?: number;
  method?: string;
  params?: { scriptId?: string; url?: string; callFrames?: CallFrame[] };
  error?: { message?: string };
}

type InspectorModule = typeof import('node:inspector');

/** One line for the log and the job's error: what the worker was doing when its call timed out. */
export function describeStuck(location: StuckLocation, file: string): string {
  switch (location.kind) {
    case 'running':
      return `stuck at ${location.where}`;
    case 'elsewhere':
      return `waiting: the worker's thread was not in the validator's code (it was at ${location.where}), so the call awaits something that never settles, in ${file}`;
    case 'idle':
      return `waiting: the worker's thread was idle, so the call awaits a promise that never settles, in ${file}`;
    case 'unknown':
      return `a loop, or a promise that never settles, in ${file}; where it was stuck is unknown: ${location.why}`;
  }
}

/**
 * Pauses the worker, reads where it is, and lets it go again (resumed and detached) so that it can be
 * terminated: a worker left paused in the debugger never finishes terminating. Never throws.
 */
export async function locateStuckCode(target: StuckProbeTarget, options: StuckProbeOptions = {}): Promise<StuckLocation> {
  let inspector: InspectorModule;
  try {
    inspector = await import('node:inspector');
  } catch (e) {
    return { kind: 'unknown', why: `this Node has no inspector (${(e as Error).message})` };
  }
  let session: InstanceType<InspectorModule['Session']>;
  try {
    session = new inspector.Session();
    session.connect();
  } catch (e) {
    return { kind: 'unknown', why: `the inspector could not be opened (${(e as Error).message})` };
  }
  let location: { found: StuckLocation; sessionId?: string };
  try {
    location = await new Promise((resolve) => probe(session, target, options, resolve));
  } catch (e) {
    location = { found: { kind: 'unknown', why: `the inspector failed (${(e as Error).message})` } };
  }
  await release(session, location.sessionId);
  return location.found;
}

function probe(session: InstanceType<InspectorModule['Session']>, target: StuckProbeTarget, options: StuckProbeOptions, done: (r: { found: StuckLocation; sessionId?: string }) => void): void {
  const budgetMs = options.budgetMs ?? 400;
  const idleAfterMs = options.idleAfterMs ?? 150;
  const scripts = new Map<string, string>();
  const threadId = String(target.worker.threadId);
  let sessionId: string | undefined;
  let pauseRequest = 0;
  let idleTimer: NodeJS.Timeout | undefined;
  let settled = false;
  const finish = (found: StuckLocation) => {
    if (settled) return;
    settled = true;
    clearTimeout(budgetTimer);
    clearTimeout(idleTimer);
    done({ found, sessionId });
  };
  const budgetTimer = setTimeout(() => finish({ kind: 'unknown', why: `the worker's inspector did not answer within ${budgetMs} ms` }), budgetMs);

  let nextRequest = 1;
  const sendToWorker = (method: string): number => {
    const id = nextRequest++;
    session.post('NodeWorker.sendMessageToWorker', { sessionId, message: JSON.stringify({ id, method }) }, (err) => {
      if (err) finish({ kind: 'unknown', why: `${method} could not be sent (${err.message})` });
    });
    return id;
  };

  session.on('NodeWorker.attachedToWorker', ({ params }) => {
    // Enabling the domain attaches to every worker of the process; only the stuck one is asked anything.
    // workerInfo.workerId is the inspector's own numbering; the thread id is in the title, "[worker 4]"
    // (Node 20) or "[worker 4] WorkerThread" (Node 24, the worker's name after it).
    if (settled || sessionId || THREAD_IN_TITLE.exec(params.workerInfo.title)?.[1] !== threadId) return;
    sessionId = params.sessionId;
    sendToWorker('Debugger.enable');
    pauseRequest = sendToWorker('Debugger.pause');
  });
  session.on('NodeWorker.detachedFromWorker', ({ params }) => {
    if (params.sessionId === sessionId) finish({ kind: 'unknown', why: 'the worker went away while it was inspected' });
  });
  session.on('NodeWorker.receivedMessageFromWorker', ({ params }) => {
    if (settled || params.sessionId !== sessionId) return;
    let message: WorkerProtocolMessage;
    try {
      message = JSON.parse(params.message) as WorkerProtocolMessage;
    } catch {
      return;
    }
    if (message.method === 'Debugger.scriptParsed' && message.params?.scriptId) {
      scripts.set(message.params.scriptId, message.params.url ?? '');
    } else if (message.method === 'Debugger.paused') {
      finish(locate(message.params?.callFrames ?? [], scripts, target));
    } else if (message.id !== undefined && message.error) {
      finish({ kind: 'unknown', why: `the worker's inspector refused a request (${message.error.message ?? 'no reason given'})` });
    } else if (message.id === pauseRequest) {
      // A busy thread pauses at its next statement, at once; an idle one only when some code runs again.
      idleTimer = setTimeout(() => finish({ kind: 'idle' }), idleAfterMs);
    }
  });
  session.post('NodeWorker.enable', { waitForDebuggerOnStart: false }, (err) => {
    if (err) finish({ kind: 'unknown', why: `the inspector could not attach to workers (${err.message})` });
  });
}

/** The innermost frame in the validator's own script, mapped to its .ts source. */
function locate(frames: readonly CallFrame[], scripts: ReadonlyMap<string, string>, target: StuckProbeTarget): StuckLocation {
  const fileUrl = pathToFileURL(target.scriptFile).href;
  for (const { location } of frames) {
    const url = scripts.get(location.scriptId);
    if (url !== target.scriptFile && url !== fileUrl) continue;
    // The protocol counts from 0; the mapper (like stack traces) from 1.
    const where = target.mapper?.map(location.lineNumber + 1, location.columnNumber + 1);
    if (where) return { kind: 'running', where };
    return { kind: 'running', where: `${target.scriptFile} (line ${location.lineNumber + 1} of the compiled code; ${target.mapper ? 'its source map has no position for it' : 'it has no source map'})` };
  }
  const top = frames[0]?.location;
  if (!top) return { kind: 'unknown', why: 'the worker paused with an empty stack' };
  return { kind: 'elsewhere', where: `${scripts.get(top.scriptId) || 'an unnamed script'}:${top.lineNumber + 1}:${top.columnNumber + 1}` };
}

/** Resumes and detaches the worker (detaching also cancels a pause that lands late), then closes the session. */
async function release(session: InstanceType<InspectorModule['Session']>, sessionId: string | undefined): Promise<void> {
  try {
    if (sessionId) {
      // Detaching resumes the thread only when no other session (a debugger the user attached) has the
      // worker's Debugger domain enabled; resume asks for it outright (an error reply if not paused).
      for (const method of ['Debugger.resume', 'Debugger.disable']) {
        session.post('NodeWorker.sendMessageToWorker', { sessionId, message: JSON.stringify({ id: 0x7ffffff0, method }) }, () => undefined);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, DETACH_WAIT_MS);
        session.post('NodeWorker.detach', { sessionId }, () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  } catch {
    // The worker is terminated next either way; a failed detach must not reach the caller.
  } finally {
    try {
      session.disconnect();
    } catch {
      // Already closed.
    }
  }
}
