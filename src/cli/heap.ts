// The CLI's own process keeps V8's young generation at its first size instead of letting it grow to 16 MiB per
// semi-space. Why: Node allocates a new Buffer for every 16 KiB TLS record (twice), and those buffers are freed
// only when the small objects that hold them are collected. A young generation that grew collects them rarely,
// so they pile up: a 1 GiB download peaked at 154-166 MiB of RSS on Node 24 (two scavenges for the whole file),
// 1,000 small files at 138 MiB. Kept small, the same runs peaked at 111-120 and 116 MiB on Node 24 (87-90 and
// 85 on Node 20, from 95 and 118), and were no slower (measured interleaved, 3-4 runs each). The flag is read at
// each collection, so setting it at run time works (setting the maximum size would not: that is fixed at start).
// Only for the CLI: the extension runs in a host shared with other extensions, whose flags are not ours to set.
// Imported first by src/cli.ts, for this effect alone, before the bundle's other modules load: loading them
// already grows the young generation, a size reached stays, and set after them the 1 GiB peak was 144 MiB.
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--semi-space-growth-factor=1');
