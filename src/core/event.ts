// A minimal typed event, shaped like vscode.Event so the shell can pass it through unchanged.

export interface Disposable {
  dispose(): void;
}

export type Event<T> = (listener: (e: T) => void) => Disposable;

export class Emitter<T> {
  private listeners = new Set<(e: T) => void>();

  readonly event: Event<T> = (listener) => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };

  fire(e: T): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(e);
      } catch (err) {
        // A listener's bug must not stop the engine or the other listeners.
        console.error('[Emitter] listener threw', err);
      }
    }
  }

  dispose(): void {
    this.listeners.clear();
  }
}
