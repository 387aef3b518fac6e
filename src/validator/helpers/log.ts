// Where a validator's log lines go. In the validator's process they are posted to the extension's log (or
// the CLI's stderr); anywhere else (tests, a script that imports the helper) they go to the console.
export type HelperLogLevel = 'info' | 'warn' | 'error';
export type HelperLogSink = (level: HelperLogLevel, message: string) => void;

const consoleSink: HelperLogSink = (level, message) => {
  if (level === 'error') console.error(message);
  else if (level === 'warn') console.warn(message);
  else console.info(message);
};

let sink: HelperLogSink = consoleSink;

/** Sends the helper's log lines to `next`; returns a function that restores the previous sink. */
export function setLogSink(next: HelperLogSink): () => void {
  const previous = sink;
  sink = next;
  return () => {
    sink = previous;
  };
}

/** The validator's log: lines appear in "Managed Downloads" (Output panel), prefixed with the file. */
export const log = {
  info(message: string): void {
    sink('info', message);
  },
  warn(message: string): void {
    sink('warn', message);
  },
  error(message: string): void {
    sink('error', message);
  },
};

const lastWarned = new Map<string, number>();

/**
 * Logs a warning at most once per `periodMs` for `key`: an expiring pin set warns when the validator
 * loads and then daily while it keeps being used, not on every connection.
 */
export function warnNowAndThen(key: string, message: string, now: number, periodMs = 24 * 3600 * 1000): void {
  const last = lastWarned.get(key);
  if (last !== undefined && now - last < periodMs) return;
  lastWarned.set(key, now);
  log.warn(message);
}
