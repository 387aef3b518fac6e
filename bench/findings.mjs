// What holds ours back, from profiling (node --cpu-prof on an unminified bundle, strace, and perf), written by
// hand. The figures in RESULTS.md are measured on every run; these notes are not: each says when and at
// which commit it was profiled, and should be profiled again after the engine changes.

export const PROFILED = 'profiled 2026-11-24 between commits 7215a4a and c721ce8 (the CLI bundled unminified; 1 GiB, 1,000 files, the capped server)';

/** Keyed by goal; shown next to a goal that is not met. */
export const holdsBack = {
  large:
    'CPU: ours 2.5-3.0 s per GiB against curl 1.4-1.55 s, while the tuned Node reference in the same run (1 MiB writev batches) needs about 1.6 s and beat curl on wall time: the gap is ours, not Node\'s. Found at the end of session 2, not yet fixed: with the engine and the certificate gate loaded, V8 restarts incremental marking about 70 times per GiB (--trace-incremental-marking: \'Start (allocation limit)\' with the old generation at 8 of 20 MB: the 12 MB left is less than the young generation\'s 16 MB, so marking starts again right after each mark-compact), and its marking threads spend about 0.8 s of CPU per GiB. The same gate, request and data path without the engine (transferFile alone), or the engine with plain agents, stay at about 6 mark-compacts and 1.4 s of user CPU; progress events and store writes turned off change nothing. Tried: v8.setFlagsFromString(\'--no-incremental-marking\') at the CLI\'s start takes effect (0 mark-compacts, 1.4-1.6 s user CPU, 1 GiB in 2.3-2.8 s instead of 2.8-3.1 s) but lets 1,000 small files peak at 131-135 MiB (over the 128 MiB goal); --max-semi-space-size cannot be changed at run time (on the command line, with no incremental marking, small files peaked at 86-91 MiB). Next: find what in the engine-plus-gate heap sets this off (8 MB of old generation is small), or re-exec the CLI with both flags. The data path itself is lean (two reused 256 KiB buffers, one positioned write per buffer; 1-4 MiB writes cost this VM 0.25-2.6 s of system CPU per GiB, unstably, 256 KiB a steady 0.34-0.40 s). On loopback the ramp keeps one connection (more would only add decryption work on the one main thread).',
  rss: 'Peak RSS is an idle CLI (57 MiB) plus V8\'s young generation and the 16 KiB chunk buffers it frees only at its next collection (two 256 KiB write buffers are all the data path holds); the peak varies from run to run with GC timing.',
  small:
    'Per file about 2 ms of main-thread CPU: the request path (axios about 0.25 ms, Node\'s ClientRequest and the TLS write of the request), the response and its chunks, one write. The file-system round trips no longer wait in line: the temp file opens while the response arrives, its close overlaps the next request, and destinations and Complete\'s renames go 8 at a time. aria2c -j1 spends about 0.3 ms of user CPU per file (most of its time is system time).',
  capped:
    'The ramp needs about 0.2 s to reach 8 connections (a 60 ms window on one connection, then on two, plus the new connections\' handshakes), and the CLI starts in about 0.16 s against aria2c\'s 0.02 s (module loading, of which ~18 ms is undici, pulled in by axios\'s probe for a fetch adapter; ~20 ms parsing the root store\'s certificates at the first connection). Run to run the two are within each other\'s spread.',
};

export const suggestions = [
  '**Capped server, the ramp**: keep the whole-file probe\'s response as the first piece\'s connection instead of asking again, and open the second connection while the first window is measured (tens of ms each).',
  '**CLI start**: stub axios\'s fetch adapter at bundle time (axios exports `false` for it itself where fetch is missing), so undici is never loaded (~18 ms); index the root store by subject and parse a root certificate only when a chain needs it (~20 ms).',
  '**Large file past curl**: segments decrypted in worker threads (each with its own TLS connection through the same gate), used only when the ramp shows more connections help but the main thread is saturated.',
  '**`--sha256`**: hashing runs on the main thread as each buffer is written: Node sha256 took 1.8-2.1 s of CPU per GiB here, about as much as the transfer. Hash in a worker fed buffer by buffer (the bench runs ours without --sha256, like curl and aria2c).',
];
