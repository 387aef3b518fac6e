// Reference client (issue 17): plain Node doing what curl does on many small HTTPS files, one at a time. One
// keep-alive TLS connection decrypting into one reused buffer (`onread`), each answer read by hand (status line,
// headers, Content-Length bytes) and written at once with synchronous open, write and close from the same thread:
// none of http.ClientRequest's per-request machinery. Certificates are verified as any tls client does (the
// default CAs and NODE_EXTRA_CA_CERTS). Every URL must be on the same origin, and the server must keep the one
// connection for the whole list (the bench's nginx: keepalive_requests 100000); it fails loudly otherwise, a reference
// for this bench rather than a general client.
// `node node-onread-loop.mjs URL-LIST-FILE OUTDIR`. TUNE_AHEAD=1 sends the next request as soon as the current
// answer's head is in (HTTP/1.1 pipelining on the one connection); files are still written in list order.
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { isIP } from 'node:net';
import { basename, join } from 'node:path';
import { connect } from 'node:tls';

const [listFile, outDir] = process.argv.slice(2);
const urls = readFileSync(listFile, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((u) => new URL(u));
const ahead = process.env.TUNE_AHEAD === '1';
const { hostname, port, host, origin } = urls[0];
if (urls.some((u) => u.origin !== origin)) throw new Error('every URL must be on the same origin');
const fail = (err) => {
  console.error(err?.message ?? err);
  process.exit(1);
};

let sent = 0; // requests written
let current = 0; // the answer being read
let head = Buffer.alloc(0); // the current answer's head until its blank line; undefined while reading its body
let left = 0; // body bytes still to come
let fd = -1;

const socket = connect({
  host: hostname,
  port: Number(port || 443),
  servername: isIP(hostname) ? undefined : hostname,
  onread: { buffer: Buffer.allocUnsafe(64 * 1024), callback: (n, buf) => consume(buf.subarray(0, n)) },
});
socket.setNoDelay(true);
socket.on('secureConnect', sendNext);
socket.on('error', fail);
socket.on('close', () => current < urls.length && fail(new Error(`connection closed at file ${current + 1} of ${urls.length}`)));

function sendNext() {
  const u = urls[sent++];
  socket.write(`GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
}

/** Takes one decrypted slice (reused after this returns): body bytes are written now, head bytes copied. */
function consume(chunk) {
  while (chunk.length > 0) {
    if (head) {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      startBody(head.subarray(0, end).toString('latin1'));
      chunk = head.subarray(end + 4);
      head = undefined;
      continue;
    }
    const take = Math.min(left, chunk.length);
    for (let done = 0; done < take;) done += writeSync(fd, chunk, done, take - done);
    left -= take;
    chunk = chunk.subarray(take);
    if (left === 0) finishFile();
  }
}

function startBody(text) {
  const lines = text.split('\r\n');
  const status = Number(lines[0].split(' ')[1]);
  if (status !== 200) fail(new Error(`${urls[current]}: HTTP ${status}`));
  const length = lines.find((l) => /^content-length:/i.test(l));
  if (!length) fail(new Error(`${urls[current]}: no Content-Length`));
  left = Number(length.split(':')[1]);
  fd = openSync(join(outDir, basename(urls[current].pathname)), 'w');
  if (ahead && sent < urls.length) sendNext();
  if (left === 0) finishFile();
}

function finishFile() {
  closeSync(fd);
  current++;
  if (current === urls.length) return socket.end();
  head = Buffer.alloc(0);
  if (sent === current) sendNext();
}
