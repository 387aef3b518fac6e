// The CLI's dispatcher: parse, run the command; every error becomes a clear message and an exit code (error-report.ts).
import { parseCommand } from './args';
import { getCommand } from './get';
import { checkCertCommand } from './check-cert';
import { cancelCommand, completeCommand, resumeCommand, suspendCommand } from './job-commands';
import { addCommand, createCommand, setCommand } from './job-settings';
import { infoCommand, listCommand } from './list';
import { reportError } from './error-report';
import { type CliIO } from './outcome';
import { rejectionsCommand } from './rejections';
import { runCommand } from './run';
import { USAGE } from './usage';
import { watchCommand } from './watch';

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
      case 'create':
        return await createCommand(command, io);
      case 'add':
        return await addCommand(command, io);
      case 'set':
        return await setCommand(command, io);
      case 'run':
        return await runCommand(command, io);
      case 'list':
        return await listCommand(command, io);
      case 'watch':
        return await watchCommand(command, io);
      case 'info':
        return await infoCommand(command, io);
      case 'resume':
        return await resumeCommand(command, io);
      case 'suspend':
        return await suspendCommand(command, io);
      case 'cancel':
        return await cancelCommand(command, io);
      case 'complete':
        return await completeCommand(command, io);
      case 'rejections':
        return rejectionsCommand(command.store, command.json, (text) => io.stdout.write(text + '\n'));
      case 'check-cert':
        return await checkCertCommand(command, io);
    }
  } catch (err) {
    return reportError(err, io, { json, verbose: argv.includes('--verbose') });
  }
}
