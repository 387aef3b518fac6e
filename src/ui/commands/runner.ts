// The one wrapper every command handler runs in: a failure becomes a clear message with "Show Log",
// the details go to the log, and a person who dismisses a picker is not told anything went wrong.
import * as vscode from 'vscode';
import { BitsError, codeName, formatCode } from '../../core/errors';
import type { Logger } from '../log';
import type { UserMessages } from '../messages';

/** Thrown when the person dismissed a quick pick or input box: the command stops quietly. */
export class UserCancelled extends Error {
  override name = 'UserCancelled';
  constructor() {
    super('Cancelled by the user.');
  }
}

/** A message a person can act on; the code in parentheses for BitsErrors so they can search for it. */
export function describeError(err: unknown): string {
  if (err instanceof BitsError) return `${err.message} (${codeName(err.code)})`;
  if (err instanceof Error) return err.message;
  return String(err);
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
      const detail = err instanceof BitsError ? ` [${formatCode(err.code)}]` : '';
      this.log.error(`${id} failed: ${describeError(err)}${detail}${err instanceof Error && err.stack ? `\n${err.stack}` : ''}`);
      this.messages.show('error', describeError(err), { [vscode.l10n.t('Show Log')]: () => this.showLog() });
      return undefined;
    }
  }
}
