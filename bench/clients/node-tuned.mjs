// Reference client: how fast plain Node can move one HTTPS body to disk when the data path is tuned.
// Not the product; it shows the engine what the same runtime reaches on this machine. Decrypted chunks
// (16 KiB TLS records) are gathered into 1 MiB batches and written with one positioned writev each, from
// the thread pool, while the main thread keeps decrypting; reading pauses when too much waits for disk.
// Keeping little in flight matters: 2 batches ran faster and with less CPU than 4 batches on this machine
// (less memory churn), and the socket's highWaterMark barely mattered. 1 MiB, not 4: on this VM 4 MiB writes
// often cost seconds of system CPU per GiB (TUNE_BATCH_MIB=1 took 1.63 s where 4 took over 2 s).
// `node node-tuned.mjs URL OUTFILE` (trusts NODE_EXTRA_CA_CERTS); TUNE_BATCH_MIB, TUNE_INFLIGHT (batches)
// and TUNE_HWM_KIB change the knobs for experiments.
import { close, open, writev } from 'node:fs';
import { request } from 'node:https';

const BATCH = Number(process.env.TUNE_BATCH_MIB ?? 1) * 1024 * 1024;
const MAX_IN_FLIGHT = Number(process.env.TUNE_INFLIGHT ?? 2) * BATCH;

const [url, out] = process.argv.slice(2);
const fail = (err) => {
  console.error(err.message ?? err);
  process.exit(1);
};

open(out, 'w', (err, fd) => {
  if (err) return fail(err);
  const req = request(url, { highWaterMark: Number(process.env.TUNE_HWM_KIB ?? 1024) * 1024 }, (res) => {
    if (res.statusCode !== 200) return fail(new Error(`HTTP ${res.statusCode}`));
    let batch = [];
    let batchBytes = 0;
    let position = 0;
    let inFlight = 0;
    let ended = false;
    const finishIfDone = () => {
      if (ended && inFlight === 0) close(fd, (e) => e && fail(e));
    };
    const flush = () => {
      if (batchBytes === 0) return;
      const buffers = batch;
      const bytes = batchBytes;
      const at = position;
      batch = [];
      batchBytes = 0;
      position += bytes;
      inFlight += bytes;
      writev(fd, buffers, at, (e, written) => {
        if (e) return fail(e);
        if (written !== bytes) return fail(new Error(`short write: ${written} of ${bytes}`));
        inFlight -= bytes;
        if (res.isPaused() && inFlight < MAX_IN_FLIGHT) res.resume();
        finishIfDone();
      });
      if (inFlight >= MAX_IN_FLIGHT) res.pause();
    };
    res.on('data', (chunk) => {
      batch.push(chunk);
      batchBytes += chunk.length;
      if (batchBytes >= BATCH) flush();
    });
    res.on('end', () => {
      flush();
      ended = true;
      finishIfDone();
    });
    res.on('error', fail);
  });
  req.on('error', fail);
  req.end();
});
