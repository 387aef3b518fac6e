// Every message the extension shows a person goes through here: one place for wording, for the actions a
// message offers, and for a short record of what was shown (the integration tests read it and press its
// buttons, since toasts cannot be clicked from inside the extension host).
import * as vscode from 'vscode';

export type Severity = 'info' | 'warning' | 'error';

/** Button label -> what pressing it does. */
export type MessageActions = Record<string, () => unknown>;

export interface ShownMessage {
  readonly severity: Severity;
  readonly text: string;
  readonly actions: readonly string[];
  /** What a click on `action` does; resolves to the action's result. Ignored after the first choice. */
  choose(action: string): Promise<unknown>;
}

export class UserMessages {
  private readonly shown: ShownMessage[] = [];

  constructor(private readonly limit = 50) {}

  /** The latest messages, oldest first. */
  get recent(): readonly ShownMessage[] {
    return this.shown;
  }

  /** Shows a message without waiting for the person to answer it; its actions run when chosen. */
  show(severity: Severity, text: string, actions: MessageActions = {}): ShownMessage {
    let answered = false;
    const labels = Object.keys(actions);
    const message: ShownMessage = {
      severity,
      text,
      actions: labels,
      choose: async (action) => {
        if (answered || !(action in actions)) return undefined;
        answered = true;
        return actions[action]();
      },
    };
    this.shown.push(message);
    if (this.shown.length > this.limit) this.shown.shift();
    const show =
      severity === 'error'
        ? vscode.window.showErrorMessage
        : severity === 'warning'
          ? vscode.window.showWarningMessage
          : vscode.window.showInformationMessage;
    // Actions are commands that report their own failures through the command wrapper.
    void Promise.resolve(show(text, ...labels))
      .then((picked) => (picked ? message.choose(picked) : undefined))
      .catch(() => undefined);
    return message;
  }
}
