// One place that stops what a script started, whatever way the script ends: normal end, an error,
// Ctrl-C (SIGINT), SIGTERM or SIGHUP. Child servers run in their own process groups (so a terminal's
// Ctrl-C does not reach them half-way through our shutdown); they are tracked here and, as a last
// resort on exit, killed synchronously.
const cleanups = [];
const processGroups = new Set();
let stopping = false;

/** Runs `fn` (async allowed) when the script ends; the last registered runs first. */
export function onCleanup(fn) {
  cleanups.push(fn);
  return () => {
    const i = cleanups.indexOf(fn);
    if (i >= 0) cleanups.splice(i, 1);
  };
}

/** A process group that must not outlive this script (killed with SIGKILL on exit if still there). */
export function trackProcessGroup(pgid) {
  processGroups.add(pgid);
  return () => processGroups.delete(pgid);
}

export async function runCleanups() {
  while (cleanups.length) {
    const fn = cleanups.pop();
    try {
      await fn();
    } catch (e) {
      console.error(`cleanup: ${e instanceof Error ? e.message : e}`);
    }
  }
}

/** True once the script has begun to stop (a signal, an error, or exitAfterCleanup). */
export function isStopping() {
  return stopping;
}

/** Runs cleanups, then exits with `code`. Safe to call more than once (the first call wins). */
export async function exitAfterCleanup(code) {
  if (stopping) return;
  stopping = true;
  await runCleanups();
  process.exit(code);
}

/** An error whose message says it all (what failed, what to do): printed without a stack trace. */
export class ScriptError extends Error {}

const describe = (e) => (e instanceof ScriptError ? e.message : e);

let installed = false;
/**
 * Signals and uncaught errors end the script through the cleanups. A signal exits with 128+signal
 * (a test run that was interrupted failed), or with `signalExitCode` when given (Ctrl-C is how
 * `npm start` is meant to end).
 */
export function installCleanupHandlers({ signalExitCode } = {}) {
  if (installed) return;
  installed = true;
  const signals = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };
  for (const [signal, code] of Object.entries(signals)) {
    process.on(signal, () => {
      if (stopping) return;
      console.error(`\n${signal}: stopping what this script started...`);
      void exitAfterCleanup(signalExitCode ?? code);
    });
  }
  process.on('uncaughtException', (e) => {
    console.error(describe(e));
    void exitAfterCleanup(1);
  });
  process.on('unhandledRejection', (e) => {
    console.error(describe(e));
    void exitAfterCleanup(1);
  });
  process.on('exit', () => {
    for (const pgid of processGroups) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}
