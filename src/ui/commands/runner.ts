// The one wrapper every command handler runs in: a failure becomes a clear message with "Show Log",
// the details go to the log, and a person who dismisses a picker is not told anything went wrong.
import * as vscode from 'vscode';
import { formatError } from '../../core/errors';
import type { Logger } from '../log';
import type { UserMessages } from '../messages';

/** Thrown when the person dismissed a quick pick or input box: the command stops quietly. */
export class UserCancelled extends Error {
  override name = 'UserCancelled';
  constructor() {
    super('Cancelled by the user.');
  }
}

/** formatError's 'message' form (src/core/errors.ts), by the name the job options panel imports. */
export function describeError(err: unknown): string {
  return formatError(err, 'message');
}

export class CommandRunner {
  private readonly registered: string[] = [];

  constructor(
    private readonly log: Logger,
    private readonly messages: UserMessages,
    private readonly showLog: () => void,
  ) {}

  /** Ids registered through this runner, for the contributed-vs-registered check. */
  get ids(): readonly string[] {
    return this.registered;
  }

  register(id: string, handler: (...args: unknown[]) => unknown): vscode.Disposable {
    this.registered.push(id);
    return vscode.commands.registerCommand(id, (...args: unknown[]) => this.run(id, handler, args));
  }

  private async run(id: string, handler: (...args: unknown[]) => unknown, args: unknown[]): Promise<unknown> {
    try {
      return await handler(...args);
    } catch (err) {
      if (err instanceof UserCancelled) return undefined;
      this.log.error(`${id} failed: ${formatError(err, 'log')}${err instanceof Error && err.stack ? `\n${err.stack}` : ''}`);
      this.messages.show('error', formatError(err, 'message'), { [vscode.l10n.t('Show Log')]: () => this.showLog() });
      return undefined;
    }
  }
}
