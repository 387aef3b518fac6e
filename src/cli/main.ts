// The CLI's dispatcher: parse, run the command, turn every error into a clear message and an exit code.
import { BitsError, codeName, Codes, ErrorContext, formatCode } from '../core/errors';
import { parseCommand } from './args';
import { getCommand } from './get';
import { checkCertCommand } from './check-cert';
import { cancelCommand, resumeCommand } from './job-commands';
import { infoCommand, listCommand } from './list';
import { EXIT_FAILED, EXIT_STORE_BUSY, EXIT_USAGE, type CliIO } from './outcome';
import { rejectionsCommand } from './rejections';
import { runCommand } from './run';
import { USAGE, UsageError } from './usage';

export async function main(argv: readonly string[], io: CliIO = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const json = argv.includes('--json');
  try {
    const command = parseCommand(argv);
    switch (command.name) {
      case 'help':
        io.stdout.write(USAGE + '\n');
        return 0;
      case 'get':
        return await getCommand(command, io);
      case 'run':
        return await runCommand(command, io);
      case 'list':
        return await listCommand(command, io);
      case 'info':
        return await infoCommand(command, io);
      case 'resume':
        return await resumeCommand(command, io);
      case 'cancel':
        return await cancelCommand(command, io);
      case 'rejections':
        return rejectionsCommand(command.store, command.json, (text) => io.stdout.write(text + '\n'));
      case 'check-cert':
        return await checkCertCommand(command, io);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      if (json) io.stdout.write(JSON.stringify({ ok: false, usageError: err.message }) + '\n');
      io.stderr.write(`managed-downloads: ${err.message}\nRun 'managed-downloads --help' for usage.\n`);
      return EXIT_USAGE;
    }
    if (err instanceof BitsError) {
      // Bad input refused by the engine (a URL scheme, a path): nothing was started.
      if (json) {
        const error = { context: err.context, contextName: ErrorContext[err.context], code: formatCode(err.code), codeName: codeName(err.code), description: err.message };
        io.stdout.write(JSON.stringify({ ok: false, error }) + '\n');
      }
      io.stderr.write(`managed-downloads: ${codeName(err.code)} (${formatCode(err.code)}): ${err.message}\n`);
      return err.code === Codes.MD_E_STORE_IN_USE ? EXIT_STORE_BUSY : EXIT_USAGE;
    }
    io.stderr.write(`managed-downloads: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
    return EXIT_FAILED;
  }
}
