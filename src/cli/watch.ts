// `watch [JOB...]`: follows jobs that another process runs (a VS Code window, a `get` or `run` in another terminal)
// without taking the store's lease: the store's job files, re-read as they change. One line per job on a
// terminal; with --json, one JSON object per change (NDJSON), then one with the outcome. It ends when every
// watched job is at rest (exit 0 when all succeeded, 1 otherwise), when nobody holds the store any more while a
// job is not at rest (75: nobody will move it), or on Ctrl-C (130).
import { progressOf, RateMeter } from '../core/model/progress';
import { JobState, type JobRecord, type JobSnapshot } from '../core/model/job';
import { StoreView } from '../core/store/store-view';
import type { CommonArgs } from './args';
import { jobJson } from './format';
import { reportNobodyRuns, watchForNoHolder, type HolderWatch } from './holder-gone';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, succeeded, type CliIO } from './outcome';
import { printable, ProgressReporter, type ProgressSource } from './progress';
import { EXIT_INTERRUPTED } from './supervise';
import { atRest, jobOrReport } from './wait';

const POLL_MS = 500;

export async function watchCommand(args: CommonArgs & { jobIds: string[] }, io: CliIO): Promise<number> {
  const view = new StoreView(args.store, POLL_MS);
  await view.start();
  // The view's timer does not keep a process alive (the editor's follower must not); this one must.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const lookup = { getJob: (id: string) => view.get(id), listAllJobs: () => view.records() };
  const meters = new Map<string, { meter: RateMeter; bytes: number }>();
  const rateOf = (job: JobRecord): number => {
    const bytes = progressOf(job, 0).bytesTransferred;
    const seen = meters.get(job.id) ?? { meter: new RateMeter(), bytes };
    if (bytes > seen.bytes) seen.meter.add(bytes - seen.bytes);
    seen.bytes = bytes;
    meters.set(job.id, seen);
    return job.state === JobState.TRANSFERRING ? seen.meter.rate() : 0;
  };
  const source: ProgressSource = {
    onDidChangeJob: view.onDidChangeJob,
    getJob: (id) => view.get(id),
    getProgress: (id) => progressOf(view.get(id)!, rateOf(view.get(id)!)),
  };
  let reporter: ProgressReporter | undefined;
  let onSignal: () => void = () => undefined;
  let holder: HolderWatch | undefined;
  try {
    let ids: string[];
    if (args.jobIds.length > 0) {
      ids = [];
      for (const given of args.jobIds) {
        const job = jobOrReport(lookup, given, io, args.json);
        if (!job) return EXIT_USAGE;
        ids.push(job.id);
      }
    } else {
      ids = view
        .records()
        .filter((j) => !atRest(j))
        .map((j) => j.id);
      if (ids.length === 0) {
        if (args.json) io.stdout.write(JSON.stringify({ ok: true, jobs: [] }) + '\n');
        else io.stderr.write(`Nothing to watch: no job of ${args.store} is running or waiting to.\n`);
        return EXIT_OK;
      }
    }
    const watched = new Set(ids);
    reporter = new ProgressReporter(source, io.stderr, (id) => watched.has(id), ids);
    reporter.draw();
    const finished = new Promise<JobSnapshot[]>((resolve) => {
      const check = () => {
        const jobs = ids.map((id) => view.get(id)).filter((j): j is JobRecord => j !== undefined);
        if (jobs.every(atRest)) {
          sub.dispose();
          resolve(jobs);
        }
      };
      const sub = view.onDidChangeJob((e) => {
        if (!watched.has(e.job.id)) return;
        if (args.json) io.stdout.write(JSON.stringify({ event: e.kind, ...jobJson(e.job, source.getProgress(e.job.id)) }) + '\n');
        check();
      });
      check();
    });
    const interrupted = new Promise<'interrupted'>((resolve) => {
      onSignal = () => resolve('interrupted');
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
    });
    holder = watchForNoHolder(args.store);
    const gone = holder.gone.then(() => 'gone' as const);
    const result = await Promise.race([finished, interrupted, gone]);
    reporter.dispose();
    if (result === 'interrupted') return EXIT_INTERRUPTED;
    if (result === 'gone') {
      const left = ids.filter((id) => {
        const job = view.get(id);
        return job !== undefined && !atRest(job);
      });
      return reportNobodyRuns(io, args.json, args.store, left);
    }
    const ok = result.every(succeeded);
    if (args.json)
      io.stdout.write(JSON.stringify({ ok, jobs: result.map((j) => ({ ok: succeeded(j), ...jobJson(j, progressOf(j, 0)) })) }) + '\n');
    else
      for (const j of result)
        io.stderr.write(
          `${j.id.slice(0, 8)} ${printable(j.displayName)}: ${JobState[j.state]}${j.error ? ` (${j.error.description})` : ''}\n`,
        );
    return ok ? EXIT_OK : EXIT_FAILED;
  } finally {
    reporter?.dispose();
    holder?.dispose();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    clearInterval(keepAlive);
    view.dispose();
  }
}
