// Progress figures: a job's totals, and a transfer rate over the last few seconds.
import type { JobProgress, JobSnapshot } from './job';

export function progressOf(job: JobSnapshot, rate: number): JobProgress {
  let bytesTotal: number | null = 0;
  let bytesTransferred = 0;
  let filesTransferred = 0;
  for (const f of job.files) {
    bytesTransferred += f.bytesTransferred;
    if (f.transferred) filesTransferred++;
    if (bytesTotal !== null) bytesTotal = f.bytesTotal === null ? null : bytesTotal + f.bytesTotal;
  }
  return { bytesTotal, bytesTransferred, filesTotal: job.files.length, filesTransferred, rate };
}

/** Bytes per second over a sliding window, from one-second buckets (cheap to feed on every chunk). */
export class RateMeter {
  private readonly buckets = new Map<number, number>();
  /** When the first bytes since the last reset arrived. */
  private startedAt: number | undefined;

  constructor(private readonly windowSeconds = 3) {}

  add(bytes: number, now = Date.now()): void {
    this.startedAt ??= now;
    const second = Math.floor(now / 1000);
    this.buckets.set(second, (this.buckets.get(second) ?? 0) + bytes);
    if (this.buckets.size > this.windowSeconds + 2) {
      for (const key of this.buckets.keys()) if (key <= second - this.windowSeconds - 1) this.buckets.delete(key);
    }
  }

  /** Average over the last full seconds of the window plus the current partial second. */
  rate(now = Date.now()): number {
    const second = Math.floor(now / 1000);
    let bytes = 0;
    for (const [key, value] of this.buckets) if (key > second - this.windowSeconds) bytes += value;
    let elapsed = this.windowSeconds - 1 + (now % 1000) / 1000;
    // Right after a (re)start there is less history than the window: divide by the time measured, or the
    // first seconds show a rate far too low (and hours left).
    if (this.startedAt !== undefined) elapsed = Math.min(elapsed, Math.max(0.5, (now - this.startedAt) / 1000));
    return elapsed > 0 ? bytes / elapsed : 0;
  }

  reset(): void {
    this.buckets.clear();
    this.startedAt = undefined;
  }
}
