// Reference client (issue 17): the most plain Node reaches on many small HTTPS files taken one at a time, as a BITS
// job takes them. Not the product: no job, no store, no temp names; a keep-alive agent and a loop. Each answer's
// chunks are gathered and written with one synchronous writev into the file named after the URL's last segment
// (as curl --remote-name-all names it), then closed: microseconds on a local disk, less than a thread-pool round
// trip. Certificates are verified as any https client does (NODE_EXTRA_CA_CERTS).
// `node node-keepalive.mjs URL-LIST-FILE OUTDIR`. TUNE_AHEAD=1 asks for the next file as soon as the current
// answer's headers are in (a second keep-alive connection, since Node's agent does not pipeline); files are still
// written and finished in list order. TUNE_HWM_KIB (64) is the response's highWaterMark.
import { closeSync, openSync, readFileSync, writevSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { basename, join } from 'node:path';

const [listFile, outDir] = process.argv.slice(2);
const urls = readFileSync(listFile, 'utf8').split('\n').filter(Boolean);
const ahead = process.env.TUNE_AHEAD === '1';
const highWaterMark = Number(process.env.TUNE_HWM_KIB ?? 64) * 1024;
const agent = new Agent({ keepAlive: true, maxSockets: ahead ? 2 : 1 });
const fail = (err) => {
  console.error(err?.message ?? err);
  process.exit(1);
};

/** Starts one GET; resolves with { headers: Promise, body: Promise<Buffer[]> } so the caller can act on either. */
function get(url) {
  let headersIn;
  const headers = new Promise((resolve) => (headersIn = resolve));
  const body = new Promise((resolve, reject) => {
    const req = request(url, { agent, highWaterMark }, (res) => {
      headersIn();
      if (res.statusCode !== 200) return reject(new Error(`${url}: HTTP ${res.statusCode}`));
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve(chunks));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
  return { headers, body };
}

function save(url, chunks) {
  const fd = openSync(join(outDir, basename(new URL(url).pathname)), 'w');
  try {
    const n = writevSync(fd, chunks);
    const bytes = chunks.reduce((sum, c) => sum + c.length, 0);
    if (n !== bytes) throw new Error(`${url}: short write, ${n} of ${bytes}`);
  } finally {
    closeSync(fd);
  }
}

async function main() {
  let current = get(urls[0]);
  for (let i = 0; i < urls.length; i++) {
    let next;
    if (ahead && i + 1 < urls.length) {
      await current.headers;
      next = get(urls[i + 1]);
    }
    save(urls[i], await current.body);
    current = next ?? (i + 1 < urls.length ? get(urls[i + 1]) : undefined);
  }
  agent.destroy();
}

main().catch(fail);
