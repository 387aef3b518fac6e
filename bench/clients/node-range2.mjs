// Reference client (issue 17): the most plain Node reaches on one large HTTPS file by decrypting on both cores.
// Not the product. The main thread asks the size (HEAD), creates the file at its full size and starts two worker
// threads; each fetches one half with a Range request over its own TLS connection and writes it into the one file
// with positioned writes. Certificates are verified as any https client does (NODE_EXTRA_CA_CERTS is read once per
// process and trusted by the workers too).
// `node node-range2.mjs URL OUTFILE`. Knobs, for the experiments in bench/FINDINGS.md:
//   TUNE_WORKERS (2), TUNE_BATCH_KIB (1024: chunks gathered per write), TUNE_HWM_KIB (64: the response's
//   highWaterMark), TUNE_WRITE=sync|async (sync: writevSync from the worker's own thread, as curl writes;
//   async: fs.writev through the thread pool, one write in flight), TUNE_YOUNG_MB (a worker's young generation).
import { closeSync, ftruncateSync, openSync, writev, writevSync } from 'node:fs';
import { request } from 'node:https';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

const KiB = 1024;
const fail = (err) => {
  console.error(err?.message ?? err);
  process.exit(1);
};

if (isMainThread) {
  const [url, out] = process.argv.slice(2);
  const workers = Number(process.env.TUNE_WORKERS ?? 2);
  const youngMb = process.env.TUNE_YOUNG_MB ? Number(process.env.TUNE_YOUNG_MB) : undefined;
  const head = request(url, { method: 'HEAD' }, (res) => {
    res.resume();
    const size = Number(res.headers['content-length']);
    if (res.statusCode !== 200 || !Number.isSafeInteger(size)) return fail(new Error(`HEAD: HTTP ${res.statusCode}, length ${size}`));
    if (res.headers['accept-ranges'] !== 'bytes') return fail(new Error('the server does not take byte ranges'));
    const fd = openSync(out, 'w');
    ftruncateSync(fd, size);
    const share = Math.ceil(size / workers);
    let left = workers;
    for (let i = 0; i < workers; i++) {
      const start = i * share;
      const end = Math.min(size, start + share) - 1;
      const w = new Worker(new URL(import.meta.url), {
        workerData: { url, fd, start, end },
        resourceLimits: youngMb ? { maxYoungGenerationSizeMb: youngMb } : undefined,
      });
      w.on('error', fail);
      w.on('message', (written) => {
        if (written !== end - start + 1) fail(new Error(`worker ${i}: ${written} bytes of ${end - start + 1}`));
        if (--left === 0) closeSync(fd);
      });
    }
  });
  head.on('error', fail);
  head.end();
} else {
  const { url, fd, start, end } = workerData;
  const batchBytes = Number(process.env.TUNE_BATCH_KIB ?? 1024) * KiB;
  const sync = (process.env.TUNE_WRITE ?? 'sync') === 'sync';
  const headers = { range: `bytes=${start}-${end}` };
  const req = request(url, { headers, highWaterMark: Number(process.env.TUNE_HWM_KIB ?? 64) * KiB }, (res) => {
    if (res.statusCode !== 206) return fail(new Error(`range ${start}-${end}: HTTP ${res.statusCode}`));
    let batch = [];
    let batched = 0;
    let position = start;
    let writing = false;
    let ended = false;
    const done = () => parentPort.postMessage(position - start);
    // Async mode: one writev in flight; the body pauses while a second batch waits for it.
    const flush = () => {
      if (batched === 0) return;
      const buffers = batch;
      const bytes = batched;
      batch = [];
      batched = 0;
      if (sync) {
        const n = writevSync(fd, buffers, position);
        if (n !== bytes) fail(new Error(`short write: ${n} of ${bytes}`));
        position += bytes;
        return;
      }
      writing = true;
      writev(fd, buffers, position, (err, n) => {
        if (err) return fail(err);
        if (n !== bytes) return fail(new Error(`short write: ${n} of ${bytes}`));
        position += bytes;
        writing = false;
        if (batched >= batchBytes || (ended && batched > 0)) flush();
        else if (ended) done();
        res.resume();
      });
    };
    res.on('data', (chunk) => {
      batch.push(chunk);
      batched += chunk.length;
      if (batched < batchBytes) return;
      if (!writing) flush();
      else res.pause();
    });
    res.on('end', () => {
      ended = true;
      if (writing) return;
      flush();
      if (!writing) done();
    });
    res.on('error', fail);
  });
  req.on('error', fail);
  req.end();
}
