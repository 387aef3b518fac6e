// Command lines of the clients compared. Every client writes into the output folder it is given, under
// the remote file's own name, so one check fits all. curl and aria2c skip certificate checks (-k,
// --check-certificate=false); ours and the Node baselines verify the chain (NODE_EXTRA_CA_CERTS), which
// only costs them a little more.
import { join } from 'node:path';

const here = new URL('..', import.meta.url).pathname;
// aria2c: no preallocation (it would write the whole file once more), quiet, overwrite.
const ARIA2_COMMON = [
  '--check-certificate=false',
  '--file-allocation=none',
  '--allow-overwrite=true',
  '--auto-file-renaming=false',
  '--console-log-level=warn',
  '--summary-interval=0',
  '-q',
];

export function curlOne(url, name) {
  return { name: 'curl', label: 'curl', command: (out) => ({ cmd: 'curl', args: ['-s', '-S', '-f', '-k', '-o', join(out, name), url] }) };
}

export function aria2One(url, connections) {
  return {
    name: connections > 1 ? `aria2c-x${connections}` : 'aria2c',
    label: connections > 1 ? `aria2c -x${connections} -s${connections} -k1M` : 'aria2c (1 connection)',
    // -k1M: pieces of 1 MiB, so all connections stay busy to the end (the default 20 MiB leaves a
    // smaller file with fewer pieces than connections); aria2c at its strongest.
    command: (out) => ({
      cmd: 'aria2c',
      args: [...ARIA2_COMMON, `-x${connections}`, `-s${connections}`, ...(connections > 1 ? ['-k1M'] : []), '-d', out, url],
    }),
  };
}

export function nodeBaseline(kind, url, name, caFile) {
  const script = join(here, 'clients', kind === 'tuned' ? 'node-tuned.mjs' : 'node-get.mjs');
  return {
    name: kind === 'tuned' ? 'node-tuned' : 'node-https.get',
    label: kind === 'tuned' ? 'Node, tuned stream (reference)' : 'Node https.get piped to a file (baseline)',
    command: (out) => ({ cmd: process.execPath, args: [script, url, join(out, name)], env: { NODE_EXTRA_CA_CERTS: caFile } }),
  };
}

const NO_NODE24 = "not available: no Node 24 (BENCH_NODE24, or the integration rig's ~/.cache/managed-downloads/tools-node24)";

/**
 * Issue 17's plain Node on one large file, decrypting on both cores: two worker threads, each fetching one Range half into the one
 * file (clients/node-range2.mjs). `node` is code-server's Node 24 for the second run, else the bench's Node.
 */
export function nodeRange2(url, name, caFile, node = undefined, node24Wanted = false) {
  const id = node24Wanted ? 'node-range2-node24' : 'node-range2';
  const label = `Node, 2 workers x Range half (reference)${node24Wanted ? ' on Node 24' : ''}`;
  if (node24Wanted && !node) return { name: id, label, unavailable: NO_NODE24 };
  const script = join(here, 'clients', 'node-range2.mjs');
  return {
    name: id,
    label,
    command: (out) => ({ cmd: node ?? process.execPath, args: [script, url, join(out, name)], env: { NODE_EXTRA_CA_CERTS: caFile } }),
  };
}

/**
 * Issue 17: plain Node doing what curl does (clients/node-onread.mjs): tls.connect decrypting into one reused buffer
 * (`onread`), the HTTP answer read by hand, each slice written at once with a synchronous write.
 */
export function nodeOnread(url, name, caFile, node = undefined, node24Wanted = false) {
  const id = node24Wanted ? 'node-onread-node24' : 'node-onread';
  const label = `Node, TLS onread into one buffer, sync writes (reference)${node24Wanted ? ' on Node 24' : ''}`;
  if (node24Wanted && !node) return { name: id, label, unavailable: NO_NODE24 };
  const script = join(here, 'clients', 'node-onread.mjs');
  return {
    name: id,
    label,
    command: (out) => ({ cmd: node ?? process.execPath, args: [script, url, join(out, name)], env: { NODE_EXTRA_CA_CERTS: caFile } }),
  };
}

const SMALL_LOOPS = {
  keepalive: { script: 'node-keepalive.mjs', label: 'Node keep-alive loop', aheadLabel: 'next request at headers' },
  'onread-loop': {
    script: 'node-onread-loop.mjs',
    label: 'Node TLS onread loop, answers read by hand',
    aheadLabel: 'next request pipelined at headers',
  },
};

/**
 * Issue 17's plain Node on many small files one at a time: `keepalive` is a keep-alive agent and a loop
 * (clients/node-keepalive.mjs), `onread-loop` one TLS connection decrypting into one reused buffer with the answers
 * read by hand (clients/node-onread-loop.mjs); `ahead` asks for the next file when the current answer's headers are in.
 */
export function nodeSmallLoop(kind, listFile, caFile, { ahead = false, node = undefined, node24Wanted = false } = {}) {
  const loop = SMALL_LOOPS[kind];
  const id = `node-${kind}${ahead ? '-ahead' : ''}${node24Wanted ? '-node24' : ''}`;
  const label = `${loop.label}${ahead ? `, ${loop.aheadLabel}` : ''} (reference)${node24Wanted ? ' on Node 24' : ''}`;
  if (node24Wanted && !node) return { name: id, label, unavailable: NO_NODE24 };
  const script = join(here, 'clients', loop.script);
  return {
    name: id,
    label,
    command: (out) => ({
      cmd: node ?? process.execPath,
      args: [script, listFile, out],
      env: { NODE_EXTRA_CA_CERTS: caFile, TUNE_AHEAD: ahead ? '1' : '0' },
    }),
  };
}

/**
 * Ours: one job with every URL, run to the end and completed; `name` 'ours' is the CLI, 'ours-engine' the engine
 * alone, 'ours-node24' the CLI on `node` (code-server's Node 24, the extension host's).
 */
export function ours(prepared, urls, caFile, name = 'ours', node = undefined) {
  const fallbackLabel =
    name === 'ours' ? 'ours (CLI)' : name === 'ours-node24' ? 'ours (CLI) on Node 24' : 'ours: engine alone (bench driver)';
  if (prepared.unavailable) return { name, label: fallbackLabel, unavailable: prepared.unavailable };
  if (name === 'ours-node24' && !node) return { name, label: fallbackLabel, unavailable: NO_NODE24 };
  return {
    name,
    label: node ? `${prepared.label} on Node 24` : prepared.label,
    command: (out, store) => ({
      cmd: node ?? process.execPath,
      args: prepared.args(urls, out, store, caFile),
      env: { NODE_EXTRA_CA_CERTS: caFile },
    }),
  };
}

export function aria2List(listFile, concurrency) {
  return {
    name: `aria2c-j${concurrency}`,
    label: `aria2c -i list -j${concurrency}`,
    command: (out) => ({ cmd: 'aria2c', args: [...ARIA2_COMMON, '-x1', '-s1', `-j${concurrency}`, '-i', listFile, '-d', out] }),
  };
}

export function curlParallel(urls, concurrency) {
  return {
    name: `curl-par${concurrency}`,
    label: `curl --parallel --parallel-max ${concurrency}`,
    command: (out) => ({
      cmd: 'curl',
      args: [
        '-s',
        '-S',
        '-f',
        '-k',
        '--parallel',
        '--parallel-max',
        String(concurrency),
        '--output-dir',
        out,
        '--remote-name-all',
        ...urls,
      ],
    }),
  };
}
