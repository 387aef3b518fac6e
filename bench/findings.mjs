// What holds ours back, from profiling (node --cpu-prof on an unminified bundle, and perf), written by
// hand. The figures in RESULTS.md are measured on every run; these notes are not: each says when and at
// which commit it was profiled, and should be profiled again after the engine changes.

export const PROFILED = 'profiled 2026-11-24 at commits 507b939 and d28f819 (the CLI bundled unminified, 1 GiB and 1,000 files)';

/** Keyed by goal; shown next to a goal that is not met. */
export const holdsBack = {
  large:
    'CPU per GiB is near or below a tuned Node stream (the sink writes 4 MiB batches with backpressure), but about 1.5x curl: Node copies every byte twice before JS sees it (NodeBIO, then the HTTP parser), the sink copies it once more into its reused 4 MiB buffer (0.19 s per GiB), and JS handles 16 KiB TLS records one by one (65,536 chunks per GiB; garbage collection 0.41 s of 1.6 s busy main-thread time at d28f819). The wall-time gap is larger than the CPU gap: the process waits on the socket while nginx, the write thread and ours share 2 cores.',
  rss: 'Peak RSS is 50-70 MiB over an idle CLI (57 MiB): the 4 MiB sink buffer, plus 16 KiB chunk buffers (65,536 per GiB) that V8 frees only at its next collection; the peak varies from run to run with GC timing.',
  small:
    'Per file, the engine deep-copies the whole job (structuredClone of 1,000 file records) at least twice: `agentFor(this.snapshot(slot))` for every request, and the progress event fired in `onFileTransferred`. That is O(files^2): at d28f819, 2.5 s in structuredClone plus 1.1 s of garbage collection of 5.9 s busy main-thread time for 1,000 files (3.2 s of 6.8 s at 507b939); the coalesced store writes of the 1,000-file JSON add about 0.4 s more.',
  capped: 'The engine has no segmented download yet: one connection per file, so a capped server gives ours exactly curl\'s single-connection rate.',
};

export const suggestions = [
  '**Segmented downloads** (issue 8): for a file above a threshold (e.g. 32 MiB) whose server answers ranges, open N (default 8) Range connections through the same gated agent, each writing at its own offset of the one temp file (positioned writes already exist in TempFileSink); persist the segment map with the job so a resume continues each segment. This alone turns scenario 3 from 1x curl to about aria2c -x8 (8 x 20 MB/s).',
  '**Small files, O(n^2) snapshots**: give `ConnectionProvider.agentFor` the job id, security flags and validator source instead of `this.snapshot(slot)` (or keep the agent per job and re-key only when flags or validator change); in `onFileTransferred` fire progress through the 500 ms throttle rather than at once; let events carry a lazy snapshot, or a snapshot without `files` for progress. Expected: most of the 3.6 s of 5.9 s busy time for 1,000 files goes away.',
  '**Small files, per-file work**: each file does mkdir, stat, open, writev, close and a rename at Complete; creating the destination folder once per job and reusing one pooled connection (already the case) leaves a few threadpool calls per file. aria2c -j1 spends about 1.2 ms CPU per file, ours 7-11.',
  '**Large file**: keep the 4 MiB batching; reduce per-chunk JS work and garbage (TempFileSink, a Writable, costs a request object per 16 KiB chunk; a plain \'data\' handler that copies into two alternating 4 MiB buffers, one filling while the other is written, pausing the response when both are busy, keeps one copy and no per-chunk objects); `--sha256` hashes on the main thread in TempFileSink.writeBatch: Node sha256 took 1.8-2.1 s of CPU per GiB here (about as much as the whole transfer), so hash in a worker thread fed batch by batch (the bench runs ours without --sha256, like curl and aria2c). Going past curl on 2 cores would need the decrypt off the main thread (segments in worker threads), which only pays when nginx is not also on the same 2 cores.',
];
