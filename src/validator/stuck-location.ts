// Where a validator that did not answer in time (a call, or its load) was stuck. Before its process is
// stopped, the supervisor takes a diagnostic report (process.report), which interrupts the validator's
// thread, even in a tight synchronous loop, and records its JavaScript stack; the frame in the
// validator's vm script, mapped through its inline source map, names the .ts file and line. A thread
// with no stack was idle: the call awaits a promise that never settles, and there is no line to give.
// (The inspector, which could pause the thread instead, is not available under the permission model.)
import type { StackMapper } from './stack-map';

export type StuckLocation =
  /** Inside the validator's code: `where` is its .ts file:line:column. */
  | { kind: 'running'; where: string }
  /** Running, but no frame of the validator was on the stack (a timer or a library callback ran). */
  | { kind: 'elsewhere'; where: string }
  /** The thread had no stack: nothing was running, the call waits for something that never comes. */
  | { kind: 'idle' }
  /** The probe could not tell (no report, no answer in time, the thread went away). */
  | { kind: 'unknown'; why: string };

/** One line for the log and the job's error: what the validator was doing when its time ran out. */
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

interface ReportStack {
  message?: string;
  stack?: string[];
}

interface ReportWithWorkers {
  workers?: { header?: { threadId?: number }; javascriptStack?: ReportStack }[];
}

/**
 * Where the worker thread `threadId` of this process is: its stack from a diagnostic report, its frame
 * in `scriptFile` (the filename the vm script was given) mapped by `mapper`. Never throws.
 */
export function locateThread(threadId: number, scriptFile: string, mapper: StackMapper | undefined): StuckLocation {
  let report: ReportWithWorkers;
  try {
    report = process.report.getReport() as unknown as ReportWithWorkers;
  } catch (e) {
    return { kind: 'unknown', why: `the diagnostic report failed (${(e as Error).message})` };
  }
  const thread = report.workers?.find((w) => w.header?.threadId === threadId);
  if (!thread) return { kind: 'unknown', why: 'the thread was not running' };
  return locateInStack(thread.javascriptStack, scriptFile, mapper);
}

/** The location a report's stack of a thread gives (exported for tests). */
export function locateInStack(stack: ReportStack | undefined, scriptFile: string, mapper: StackMapper | undefined): StuckLocation {
  const lines = stack?.stack ?? [];
  if (!stack || stack.message === 'No stack.' || lines.length === 0 || lines[0] === 'Unavailable.') return { kind: 'idle' };
  // `at fn (/a path/v.js:3:9)` or `at  (/a path/v.js:3:9)` or `at /a path/v.js:3:9`
  const frames = lines.map((l) => /^at (?:.*? \()?(.+?):(\d+):(\d+)\)?$/.exec(l.trim())).filter((m): m is RegExpExecArray => m !== null);
  for (const m of frames) {
    if (m[1] !== scriptFile) continue;
    const where = mapper?.map(Number(m[2]), Number(m[3]));
    if (where) return { kind: 'running', where };
    return {
      kind: 'running',
      where: `${scriptFile} (line ${m[2]} of the compiled code; ${mapper ? 'its source map has no position for it' : 'it has no source map'})`,
    };
  }
  const top = frames[0];
  return top ? { kind: 'elsewhere', where: `${top[1]}:${top[2]}:${top[3]}` } : { kind: 'unknown', why: 'the report had no readable stack' };
}
