// The one place where the CLI turns an error into what a person reads and the exit code: a line with the code's
// name, its HRESULT and a message that says what to do (one JSON object with --json), never a stack trace. A
// failure that is not a BitsError is given a code here too: a file-system errno (read-only, full disk, a file in
// the way) by what it means, anything else as E_FAIL, an internal error whose stack only --verbose shows.
import { BitsError, codeName, Codes, ErrorContext, fileSystemError, formatCode, formatError } from '../core/errors';
import { EXIT_FAILED, EXIT_STORE_BUSY, EXIT_USAGE, type CliIO } from './outcome';
import { UsageError } from './usage';

/** Codes that say the machine failed the command (the store or a folder could not be written), not its input. */
const ENVIRONMENT_CODES = new Set<number>([Codes.E_ACCESSDENIED, Codes.E_DISK_FULL, Codes.E_FILE_NOT_FOUND, Codes.E_FAIL]);

/** An error of any kind as a BitsError (the input to every message the CLI prints). */
export function asBitsError(err: unknown): BitsError {
  if (err instanceof BitsError) return err;
  const errno = err as NodeJS.ErrnoException | undefined;
  if (typeof errno?.code === 'string' && typeof errno.syscall === 'string') {
    const what = errno.path ? `${errno.syscall} ${errno.path}` : errno.syscall;
    return fileSystemError(err, `A file operation (${what})`, ErrorContext.LOCAL_FILE, {
      denied: 'Check that the folder is writable (not read-only), or choose another one.',
      full: 'Free some space on that disk, then try again.',
      other: 'Check the path, then try again.',
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new BitsError(
    Codes.E_FAIL,
    `Internal error: ${message}. This is a bug in Managed Downloads: run the command again with --verbose to see where it happened, and report it.`,
    ErrorContext.GENERAL_QUEUE_MANAGER,
    { cause: err },
  );
}

/** The fields of an error in --json output (the same names as a job's error). */
export function errorJson(err: BitsError) {
  return {
    context: err.context,
    contextName: ErrorContext[err.context],
    code: formatCode(err.code),
    codeName: codeName(err.code),
    description: err.message,
  };
}

/** `BG_E_EMPTY (0x80200003): There are no files...`: how every error line of the CLI reads. */
export function errorLine(err: BitsError): string {
  return `managed-downloads: ${formatError(err, 'line')}`;
}

export function exitCodeFor(err: BitsError): number {
  if (err.code === Codes.MD_E_STORE_IN_USE) return EXIT_STORE_BUSY;
  return ENVIRONMENT_CODES.has(err.code) ? EXIT_FAILED : EXIT_USAGE;
}

/** Prints `err` for a person (and as JSON with --json); returns the exit code. */
export function reportError(err: unknown, io: CliIO, options: { json: boolean; verbose: boolean }): number {
  if (err instanceof UsageError) {
    if (options.json) io.stdout.write(JSON.stringify({ ok: false, usageError: err.message }) + '\n');
    io.stderr.write(`managed-downloads: ${err.message}\nRun 'managed-downloads --help' for usage.\n`);
    return EXIT_USAGE;
  }
  const bits = asBitsError(err);
  if (options.json) io.stdout.write(JSON.stringify({ ok: false, error: errorJson(bits) }) + '\n');
  io.stderr.write(errorLine(bits) + '\n');
  // Where it happened is for whoever fixes the product, asked for with --verbose.
  if (options.verbose && bits.code === Codes.E_FAIL) io.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
  return exitCodeFor(bits);
}
