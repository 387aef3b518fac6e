// The API's onDidTransfer and onDidError: events about jobs that wait in a state needing their owner (TRANSFERRED:
// call complete; ERROR: act on it). As BITS's notify interface does, a listener also hears of jobs that reached
// that state before it subscribed (right after a window reload, an extension activating late): they are replayed
// to it as soon as the jobs are known. Each listener hears each arrival in the state once, whichever way it came
// (replay, the live transition, a window taking over the store), keyed by the arrival's time.

/** A job in the state the event is about, `key` telling this arrival from a later one (its time). */
export interface Arrival<E> {
  readonly jobId: string;
  readonly key: string;
  readonly event: E;
}

type Listener<E> = (e: E) => unknown;

interface Subscriber<E> {
  readonly call: Listener<E>;
  /** What this listener has heard, per job: the key of the job's current arrival. */
  readonly heard: Map<string, string>;
  disposed: boolean;
}

export class ReplayingEvent<E> {
  private readonly subscribers = new Set<Subscriber<E>>();

  /**
   * @param current the jobs now in the state (waits for the engine to open); replayed to each new listener.
   * @param listenerFailed told when a listener throws, which never stops the others.
   */
  constructor(
    private readonly current: () => Promise<Arrival<E>[]>,
    private readonly listenerFailed: (err: unknown) => void,
  ) {}

  /** A vscode.Event: subscribing replays the current arrivals to this listener (asynchronously), then live ones. */
  readonly event = (listener: Listener<E>, thisArgs?: unknown, disposables?: { dispose(): unknown }[]): { dispose(): void } => {
    const subscriber: Subscriber<E> = {
      call: thisArgs === undefined ? listener : listener.bind(thisArgs),
      heard: new Map(),
      disposed: false,
    };
    this.subscribers.add(subscriber);
    const subscription = {
      dispose: () => {
        subscriber.disposed = true;
        this.subscribers.delete(subscriber);
      },
    };
    disposables?.push(subscription);
    this.current().then(
      (arrivals) => arrivals.forEach((a) => this.deliver(subscriber, a)),
      // The engine did not open: there is nothing to replay, and the error reaches the extension with its next verb.
      () => undefined,
    );
    return subscription;
  };

  /** A job is in the state (live): every listener that has not heard of this arrival hears it now. */
  arrived(arrival: Arrival<E>): void {
    for (const subscriber of [...this.subscribers]) this.deliver(subscriber, arrival);
  }

  /** A job is not (or no longer) in the state: its next arrival is news again. */
  left(jobId: string): void {
    for (const subscriber of this.subscribers) subscriber.heard.delete(jobId);
  }

  private deliver(subscriber: Subscriber<E>, arrival: Arrival<E>): void {
    if (subscriber.disposed || subscriber.heard.get(arrival.jobId) === arrival.key) return;
    subscriber.heard.set(arrival.jobId, arrival.key);
    try {
      subscriber.call(arrival.event);
    } catch (err) {
      this.listenerFailed(err);
    }
  }

  dispose(): void {
    for (const subscriber of this.subscribers) subscriber.disposed = true;
    this.subscribers.clear();
  }
}
