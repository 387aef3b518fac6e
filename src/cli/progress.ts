// What a person watching the CLI sees on stderr: a progress bar on a terminal (with the retry countdown and its
// reason), plain lines otherwise (CI logs): state changes, retries, and progress every few seconds.
import type { JobEngine } from '../core/jobs/engine';
import { JobState, type JobSnapshot } from '../core/jobs/model';
import type { Disposable } from '../core/event';
import { formatBytes, formatDuration, percent } from './format';

const PLAIN_PROGRESS_EVERY_MS = 5000;

export class ProgressReporter {
  private readonly subscription: Disposable;
  private readonly ticker?: NodeJS.Timeout;
  private readonly lastPlainProgress = new Map<string, number>();
  private lineShown = false;

  constructor(
    private readonly engine: JobEngine,
    private readonly out: NodeJS.WriteStream,
    private readonly watched: (jobId: string) => boolean,
  ) {
    this.subscription = engine.onDidChangeJob((e) => {
      if (!this.watched(e.job.id)) return;
      if (this.out.isTTY) this.render(e.job);
      else if (e.kind === 'state') this.plainState(e.job);
      else if (e.kind === 'progress') this.plainProgress(e.job);
    });
    if (this.out.isTTY) {
      // The retry countdown moves even when no event comes.
      this.ticker = setInterval(() => this.renderAll(), 1000);
      this.ticker.unref();
    }
  }

  private renderAll(): void {
    for (const job of this.engine.listJobs()) if (this.watched(job.id)) this.render(job);
  }

  private render(job: JobSnapshot): void {
    const p = this.engine.getProgress(job.id);
    const width = Math.max(20, (this.out.columns || 100) - 1);
    let text: string;
    if (job.state === JobState.TRANSIENT_ERROR) {
      const wait = job.retryAt ? formatDuration((job.retryAt - Date.now()) / 1000) : 'a moment';
      text = `waiting ${wait} to retry: ${job.error?.description ?? 'transient error'}`;
    } else if (job.state === JobState.CONNECTING || job.state === JobState.QUEUED) {
      text = `${JobState[job.state].toLowerCase()}... ${job.displayName}`;
    } else {
      const fraction = p.bytesTotal ? p.bytesTransferred / p.bytesTotal : 0;
      const barWidth = 24;
      const filled = Math.min(barWidth, Math.round(fraction * barWidth));
      const bar = p.bytesTotal ? '#'.repeat(filled) + '-'.repeat(barWidth - filled) : '?'.repeat(barWidth);
      const eta = p.rate > 0 && p.bytesTotal ? `  ETA ${formatDuration((p.bytesTotal - p.bytesTransferred) / p.rate)}` : '';
      const files = p.filesTotal > 1 ? `  file ${Math.min(p.filesTransferred + 1, p.filesTotal)}/${p.filesTotal}` : '';
      text = `[${bar}] ${percent(p).padStart(6)}  ${formatBytes(p.bytesTransferred)} / ${formatBytes(p.bytesTotal)}  ${formatBytes(Math.round(p.rate))}/s${eta}${files}`;
    }
    this.out.write(`\r\x1b[K${text.slice(0, width)}`);
    this.lineShown = true;
  }

  private plainState(job: JobSnapshot): void {
    const id = job.id.slice(0, 8);
    if (job.state === JobState.TRANSIENT_ERROR) {
      const wait = job.retryAt ? formatDuration((job.retryAt - Date.now()) / 1000) : 'a moment';
      this.out.write(`${id} transient error, retrying in ${wait}: ${job.error?.description ?? ''}\n`);
    } else if (job.state === JobState.TRANSFERRED && this.transferStarted.has(job.id)) {
      this.out.write(`${id} TRANSFERRED ${this.summary(job.id, this.transferStarted.get(job.id)!)}\n`);
    } else {
      // The first progress line comes one interval after the bytes start, when its rate means something.
      if (job.state === JobState.TRANSFERRING && !this.transferStarted.has(job.id)) {
        this.transferStarted.set(job.id, Date.now());
        this.lastPlainProgress.set(job.id, Date.now());
      }
      this.out.write(`${id} ${JobState[job.state]}\n`);
    }
  }

  /** When the job first received bytes in this process. */
  private readonly transferStarted = new Map<string, number>();

  /** "1000 files, 97.7 MiB in 2.9s (33.7 MiB/s)": what a script's log wants to keep of a finished transfer. */
  private summary(jobId: string, since: number): string {
    const p = this.engine.getProgress(jobId);
    const seconds = Math.max(0.001, (Date.now() - since) / 1000);
    const files = p.filesTotal === 1 ? '1 file' : `${p.filesTotal} files`;
    const took = seconds < 10 ? `${seconds.toFixed(1)}s` : formatDuration(seconds);
    return `${files}, ${formatBytes(p.bytesTransferred)} in ${took} (${formatBytes(Math.round(p.bytesTransferred / seconds))}/s)`;
  }

  private plainProgress(job: JobSnapshot): void {
    const now = Date.now();
    if (now - (this.lastPlainProgress.get(job.id) ?? 0) < PLAIN_PROGRESS_EVERY_MS) return;
    this.lastPlainProgress.set(job.id, now);
    const p = this.engine.getProgress(job.id);
    this.out.write(`${job.id.slice(0, 8)} ${percent(p)} ${formatBytes(p.bytesTransferred)} of ${formatBytes(p.bytesTotal)} at ${formatBytes(Math.round(p.rate))}/s\n`);
  }

  dispose(): void {
    this.subscription.dispose();
    clearInterval(this.ticker);
    if (this.lineShown) this.out.write('\r\x1b[K');
  }
}
