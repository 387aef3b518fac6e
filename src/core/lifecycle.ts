// The one lifecycle pattern: an object that owns listeners, emitters, timers or other objects registers each
// with `_register` as it makes it, and disposing the owner disposes them all (the last registered first, the
// way they were built up). VS Code's disposables have the same shape, so UI classes register those directly.
// Plain Node (no vscode import), like the rest of src/core.
import type { Disposable as IDisposable } from './event';

export type { IDisposable };

/** A disposable that runs `dispose` once, however often it is disposed. */
export function toDisposable(dispose: () => void): IDisposable {
  let done = false;
  return {
    dispose: () => {
      if (done) return;
      done = true;
      dispose();
    },
  };
}

/**
 * Disposes every item, the last first, and empties the list. One that throws does not keep the others
 * from being disposed; the first error is thrown once all are done.
 */
export function disposeAll(items: IDisposable[]): void {
  let failure: { error: unknown } | undefined;
  while (items.length) {
    try {
      items.pop()!.dispose();
    } catch (error) {
      failure ??= { error };
    }
  }
  if (failure) throw failure.error;
}

/** Holds one disposable at a time: setting another disposes the one it replaces. */
export class MutableDisposable<T extends IDisposable = IDisposable> implements IDisposable {
  private current: T | undefined;
  private disposed = false;

  get value(): T | undefined {
    return this.current;
  }

  set value(value: T | undefined) {
    if (value === this.current) return;
    this.current?.dispose();
    // Set after the owner is disposed: the newcomer would have no one left to dispose it.
    if (this.disposed) {
      value?.dispose();
      this.current = undefined;
    } else this.current = value;
  }

  dispose(): void {
    this.disposed = true;
    const current = this.current;
    this.current = undefined;
    current?.dispose();
  }
}

/** Base class of an owner: `_register` what it makes, and `dispose()` releases it all once. */
export abstract class Disposable implements IDisposable {
  private readonly registered: IDisposable[] = [];
  private disposed = false;

  /** Releases everything registered, the last registered first; a second call does nothing. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    disposeAll(this.registered);
  }

  /** Keeps `value` to dispose with this object (at once when this object is already disposed); returns it. */
  protected _register<T extends IDisposable>(value: T): T {
    if (this.disposed) value.dispose();
    else this.registered.push(value);
    return value;
  }

  protected get isDisposed(): boolean {
    return this.disposed;
  }
}
