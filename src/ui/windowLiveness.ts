// Whether this extension host's window is still there. In code-server, a browser tab that goes away without
// closing (the tab crashes, the network drops, the laptop sleeps) leaves its extension host running for the
// reconnection grace time (3 h), and every call into the window (context keys, SecretStorage, the file system)
// waits, unanswered, for that long. Tried in code-server 4.139.1: after such a loss a `setContext` round trip
// stops answering at once while the extension host lives on; a tab closed normally shuts its extension host
// down (deactivate releases the lease). No window-state or focus event is sent when a tab is lost, so they
// cannot tell. So this sends a small round trip every second and calls the window gone when one stays
// unanswered for a few seconds; an answer (on reconnection) makes it alive again.
import { Emitter, type Event } from '../core/event';
import { Disposable, toDisposable } from '../core/lifecycle';
import type { HolderLiveness } from '../core/model/job';

export interface WindowLivenessOptions {
  /** How often a round trip is sent (one at a time). */
  intervalMs?: number;
  /** A round trip unanswered this long means the window is gone. */
  timeoutMs?: number;
  log?: (message: string) => void;
}

export class WindowLiveness extends Disposable implements HolderLiveness {
  private readonly emitter = this._register(new Emitter<boolean>());
  readonly onDidChange: Event<boolean> = this.emitter.event;
  private isAlive = true;
  private sentAt: number | undefined;
  private readonly timer: NodeJS.Timeout;
  private readonly timeoutMs: number;

  constructor(
    /** A call that the window itself must answer. */
    private readonly roundTrip: () => PromiseLike<unknown>,
    private readonly options: WindowLivenessOptions = {},
  ) {
    super();
    this.timeoutMs = options.timeoutMs ?? 4000;
    this.timer = setInterval(() => this.tick(), options.intervalMs ?? 1000);
    this._register(toDisposable(() => clearInterval(this.timer)));
    this.timer.unref();
    this.tick();
  }

  get alive(): boolean {
    return this.isAlive;
  }

  private tick(): void {
    if (this.sentAt === undefined) {
      const sentAt = (this.sentAt = Date.now());
      // An error is an answer too: the window is there.
      const answered = () => {
        if (this.sentAt !== sentAt) return;
        this.sentAt = undefined;
        this.set(true, `the window answers again after ${((Date.now() - sentAt) / 1000).toFixed(1)} s`);
      };
      Promise.resolve()
        .then(() => this.roundTrip())
        .then(answered, answered);
      return;
    }
    const waited = Date.now() - this.sentAt;
    if (waited < this.timeoutMs) return;
    // Judged after pending I/O callbacks ran: an extension host that was itself busy (a timer firing late) may
    // have the answer waiting in its socket.
    setImmediate(() => {
      if (this.sentAt !== undefined && Date.now() - this.sentAt >= this.timeoutMs)
        this.set(false, `the window has not answered for ${(waited / 1000).toFixed(1)} s: it is gone`);
    });
  }

  private set(alive: boolean, why: string): void {
    if (this.isAlive === alive) return;
    this.isAlive = alive;
    this.options.log?.(why);
    this.emitter.fire(alive);
  }
}
