// Decides which jobs run: higher priority first (preempting lower ones), equal priorities in turns (time
// slices), at most maxConcurrent at once. Starts and stops the engine's runs; the engine does the work.
import type { LogLevel } from './engine-options';
import { pickRunnable, shouldRotate, TicketCounter, type Candidate } from './scheduler';
import type { ActiveRun, Slot } from './slot';
import { ACTIVE_STATES } from '../model/states';

export interface SchedulerHost {
  slots(): Iterable<Slot>;
  /** Transfers the job's files until done, failed or stopped through `signal`. */
  run(slot: Slot, signal: AbortSignal): Promise<void>;
  /** A run ended (done, failed or stopped). */
  runEnded(slot: Slot): void;
  /** The job lost its slot to another and goes back to QUEUED (its bytes stay). */
  yieldSlot(slot: Slot): void;
  log(level: LogLevel, message: string): void;
}

export class JobScheduler {
  private readonly tickets = new TicketCounter();
  private queued = false;
  private stopped = false;

  constructor(
    private readonly host: SchedulerHost,
    public maxConcurrent: number,
    private readonly timeSliceMs: number,
  ) {}

  /** A place at the back of the line. */
  nextTicket(): number {
    return this.tickets.next();
  }

  /** Coalesces the many reasons to reschedule into one pass per turn of the event loop. */
  schedule(): void {
    if (this.queued || this.stopped) return;
    this.queued = true;
    queueMicrotask(() => {
      this.queued = false;
      if (!this.stopped) this.reschedule();
    });
  }

  /** Aborts the job's run (if any) and waits until it has let go of its files. */
  async stopRun(slot: Slot): Promise<void> {
    const run = slot.run;
    if (!run) return;
    run.stopping = true;
    run.controller.abort();
    await run.done;
  }

  /** No more runs start (runs in progress are stopped by the engine through stopRun). */
  stop(): void {
    this.stopped = true;
  }

  private candidates(): Candidate[] {
    const out: Candidate[] = [];
    for (const slot of this.host.slots()) {
      if (slot.adopted && !slot.held && ACTIVE_STATES.has(slot.record.state) && !slot.run?.stopping) {
        out.push({ id: slot.record.id, priority: slot.record.priority, ticket: slot.ticket });
      }
    }
    return out;
  }

  private reschedule(): void {
    const wanted = new Set(pickRunnable(this.candidates(), this.maxConcurrent));
    const byId = new Map<string, Slot>();
    let busy = 0;
    for (const slot of this.host.slots()) {
      byId.set(slot.record.id, slot);
      if (!slot.run) continue;
      if (!slot.run.stopping && !wanted.has(slot.record.id)) this.preempt(slot);
      // A stopping run still holds its connection and files until it ends; it counts against the limit.
      busy++;
    }
    for (const id of wanted) {
      const slot = byId.get(id);
      if (!slot || slot.run || busy >= this.maxConcurrent) continue;
      this.start(slot);
      busy++;
    }
  }

  private preempt(slot: Slot): void {
    this.host.log('info', `[Scheduler] job ${slot.record.id} yields its slot`);
    if (slot.run) slot.run.stopping = true;
    this.host.yieldSlot(slot);
    slot.run?.controller.abort();
  }

  private start(slot: Slot): void {
    const controller = new AbortController();
    const run: ActiveRun = { controller, stopping: false, done: Promise.resolve() };
    slot.run = run;
    this.armSlice(slot, run);
    run.done = this.host
      .run(slot, controller.signal)
      .catch((err: unknown) =>
        this.host.log('error', `[Scheduler] job ${slot.record.id}: unexpected ${(err as Error)?.stack ?? String(err)}`),
      )
      .finally(() => {
        clearTimeout(run.sliceTimer);
        if (slot.run === run) slot.run = undefined;
        this.host.runEnded(slot);
        this.schedule();
      });
  }

  /** At the end of each slice, a job gives way to an equal-priority job that waits, and goes to the back of the line. */
  private armSlice(slot: Slot, run: ActiveRun): void {
    run.sliceTimer = setTimeout(() => {
      if (run.stopping || slot.run !== run) return;
      const running = new Set<string>();
      for (const s of this.host.slots()) if (s.run) running.add(s.record.id);
      const waiting = this.candidates().filter((c) => !running.has(c.id));
      if (shouldRotate({ id: slot.record.id, priority: slot.record.priority, ticket: slot.ticket }, waiting)) {
        slot.ticket = this.nextTicket();
        this.schedule();
      } else {
        this.armSlice(slot, run);
      }
    }, this.timeSliceMs);
    run.sliceTimer.unref();
  }
}
