// Which jobs may transfer now: higher priority first, equal priorities in turn (BITS-style time slices).
import type { JobPriority } from '../model/job';

export interface Candidate {
  id: string;
  priority: JobPriority;
  /** Place in line among equal priorities: smaller goes first; a job whose slice ended gets a new, larger one. */
  ticket: number;
}

/** The ids that should hold the `slots` transfer slots, best first. Pure, so the rule is easy to test. */
export function pickRunnable(candidates: readonly Candidate[], slots: number): string[] {
  return [...candidates]
    .sort((a, b) => a.priority - b.priority || a.ticket - b.ticket)
    .slice(0, Math.max(0, slots))
    .map((c) => c.id);
}

/**
 * At the end of a running job's slice: true when a job of the same priority waits for a slot, so the running
 * one should go to the back of the line (it keeps its bytes and continues when its turn comes again).
 */
export function shouldRotate(running: Candidate, waiting: readonly Candidate[]): boolean {
  return waiting.some((w) => w.priority === running.priority);
}

/** Hands out increasing tickets. */
export class TicketCounter {
  private last = 0;
  next(): number {
    return ++this.last;
  }
}
