// What a person watching the CLI sees on stderr: on a terminal, one line per job, each with the job's name, redrawn
// in place (a progress bar, or the retry countdown and its reason); otherwise (CI logs) plain lines, each naming its
// job: state changes, retries, and progress every few seconds.
import type { Disposable, Event } from '../core/event';
import { JobState, type JobChangeEvent, type JobProgress, type JobSnapshot } from '../core/model/job';
import { formatBytes, formatDuration, percent } from './format';

const PLAIN_PROGRESS_EVERY_MS = 5000;
const NAME_WIDTH = 24;

/** Where the jobs come from: the engine this process runs, or a view of a store another process runs (watch). */
export interface ProgressSource {
  readonly onDidChangeJob: Event<JobChangeEvent>;
  getJob(jobId: string): JobSnapshot | undefined;
  getProgress(jobId: string): JobProgress;
}

/** A name as a terminal shows it: no control characters (a job's name may come from anywhere). */
export function printable(name: string): string {
  // eslint-disable-next-line no-control-regex -- control characters (an escape sequence in a name) are what must go
  return name.replace(/[\x00-\x1f\x7f-\x9f]/g, '?');
}

export class ProgressReporter {
  private readonly subscription: Disposable;
  private readonly ticker?: NodeJS.Timeout;
  private readonly lastPlainProgress = new Map<string, number>();
  /** The jobs with a line on the terminal, in the order they first showed up. */
  private readonly order: string[] = [];
  /** How many lines the last drawing left on the terminal (the cursor is at the end of the last one). */
  private shown = 0;

  constructor(
    private readonly source: ProgressSource,
    private readonly out: NodeJS.WriteStream,
    private readonly watched: (jobId: string) => boolean,
    initial: readonly string[] = [],
  ) {
    for (const id of initial) if (this.watched(id)) this.order.push(id);
    this.subscription = source.onDidChangeJob((e) => {
      if (!this.watched(e.job.id)) return;
      if (this.out.isTTY) {
        if (!this.order.includes(e.job.id)) this.order.push(e.job.id);
        this.draw();
      } else if (e.kind === 'state') this.plainState(e.job);
      else if (e.kind === 'progress') this.plainProgress(e.job);
    });
    if (this.out.isTTY) {
      // The retry countdown moves even when no event comes.
      this.ticker = setInterval(() => this.draw(), 1000);
      this.ticker.unref();
    }
  }

  /** Redraws every job's line in place: back to the first line, then each line cleared and written. */
  draw(): void {
    if (!this.out.isTTY) return;
    const width = Math.max(20, (this.out.columns || 100) - 1);
    // More lines than the terminal has rows could not be drawn over; the rest are counted on the last line.
    const room = Math.max(1, (this.out.rows || 25) - 2);
    const ids = this.order.filter((id) => this.source.getJob(id) !== undefined);
    const texts =
      ids.length > room
        ? [...ids.slice(0, room - 1).map((id) => this.lineOf(id)), `... and ${ids.length - room + 1} more job(s)`]
        : ids.map((id) => this.lineOf(id));
    if (texts.length === 0) return;
    let text = this.shown > 0 ? `\r${this.shown > 1 ? `\x1b[${this.shown - 1}A` : ''}` : '';
    text += texts.map((t) => `\x1b[K${t.slice(0, width)}`).join('\n');
    // A line fewer than last time (a job removed) leaves nothing behind.
    if (texts.length < this.shown) text += '\x1b[J';
    this.out.write(text);
    this.shown = texts.length;
  }

  private lineOf(id: string): string {
    const job = this.source.getJob(id)!;
    const name = printable(job.displayName);
    const label = (name.length > NAME_WIDTH ? `${name.slice(0, NAME_WIDTH - 1)}~` : name).padEnd(NAME_WIDTH);
    const p = this.source.getProgress(id);
    if (job.state === JobState.TRANSIENT_ERROR) {
      const wait = job.retryAt ? formatDuration((job.retryAt - Date.now()) / 1000) : 'a moment';
      return `${label}  waiting ${wait} to retry: ${job.error?.description ?? 'transient error'}`;
    }
    if (job.state === JobState.CONNECTING || job.state === JobState.QUEUED) return `${label}  ${JobState[job.state].toLowerCase()}...`;
    if (job.state === JobState.ERROR || job.state === JobState.SUSPENDED || job.state === JobState.CANCELLED)
      return `${label}  ${JobState[job.state]}`;
    const fraction = p.bytesTotal ? p.bytesTransferred / p.bytesTotal : 0;
    const barWidth = 20;
    const filled = Math.min(barWidth, Math.round(fraction * barWidth));
    const bar = p.bytesTotal ? '#'.repeat(filled) + '-'.repeat(barWidth - filled) : '?'.repeat(barWidth);
    const eta = p.rate > 0 && p.bytesTotal ? `  ETA ${formatDuration((p.bytesTotal - p.bytesTransferred) / p.rate)}` : '';
    const files = p.filesTotal > 1 ? `  file ${Math.min(p.filesTransferred + 1, p.filesTotal)}/${p.filesTotal}` : '';
    return `${label}  [${bar}] ${percent(p).padStart(6)}  ${formatBytes(p.bytesTransferred)} / ${formatBytes(p.bytesTotal)}  ${formatBytes(Math.round(p.rate))}/s${eta}${files}`;
  }

  /** "1a2b3c4d big.iso:": how a plain line names its job. */
  private tag(job: JobSnapshot): string {
    return `${job.id.slice(0, 8)} ${printable(job.displayName)}:`;
  }

  private plainState(job: JobSnapshot): void {
    if (job.state === JobState.TRANSIENT_ERROR) {
      const wait = job.retryAt ? formatDuration((job.retryAt - Date.now()) / 1000) : 'a moment';
      this.out.write(`${this.tag(job)} transient error, retrying in ${wait}: ${job.error?.description ?? ''}\n`);
    } else if (job.state === JobState.TRANSFERRED && this.transferStarted.has(job.id)) {
      this.out.write(`${this.tag(job)} TRANSFERRED ${this.summary(job.id, this.transferStarted.get(job.id)!)}\n`);
    } else {
      // The first progress line comes one interval after the bytes start, when its rate means something.
      if (job.state === JobState.TRANSFERRING && !this.transferStarted.has(job.id)) {
        this.transferStarted.set(job.id, Date.now());
        this.lastPlainProgress.set(job.id, Date.now());
      }
      this.out.write(`${this.tag(job)} ${JobState[job.state]}\n`);
    }
  }

  /** When the job first received bytes in this process. */
  private readonly transferStarted = new Map<string, number>();

  /** "1000 files, 97.7 MiB in 2.9s (33.7 MiB/s)": what a script's log wants to keep of a finished transfer. */
  private summary(jobId: string, since: number): string {
    const p = this.source.getProgress(jobId);
    const seconds = Math.max(0.001, (Date.now() - since) / 1000);
    const files = p.filesTotal === 1 ? '1 file' : `${p.filesTotal} files`;
    const took = seconds < 10 ? `${seconds.toFixed(1)}s` : formatDuration(seconds);
    return `${files}, ${formatBytes(p.bytesTransferred)} in ${took} (${formatBytes(Math.round(p.bytesTransferred / seconds))}/s)`;
  }

  private plainProgress(job: JobSnapshot): void {
    const now = Date.now();
    if (now - (this.lastPlainProgress.get(job.id) ?? 0) < PLAIN_PROGRESS_EVERY_MS) return;
    this.lastPlainProgress.set(job.id, now);
    const p = this.source.getProgress(job.id);
    this.out.write(
      `${this.tag(job)} ${percent(p)} ${formatBytes(p.bytesTransferred)} of ${formatBytes(p.bytesTotal)} at ${formatBytes(Math.round(p.rate))}/s\n`,
    );
  }

  dispose(): void {
    this.subscription.dispose();
    clearInterval(this.ticker);
    if (this.shown > 0) this.out.write(`\r${this.shown > 1 ? `\x1b[${this.shown - 1}A` : ''}\x1b[J`);
    this.shown = 0;
  }
}
