// Reference client (issue 17): plain Node doing what curl does on one large HTTPS file. tls.connect with `onread`
// decrypts every record into one reused buffer (no Buffer allocated per record, and no HTTP parser copying the body
// into another), and each decrypted slice is written to the file at once with a synchronous write from the same
// thread, as curl writes. The HTTP/1.1 answer is read by hand: status line and headers, then Content-Length bytes
// (no chunked encoding: a reference for one static file, not a general client). Certificates are verified as any
// tls client does (the default CAs and NODE_EXTRA_CA_CERTS; the name checked against the URL's host).
// `node node-onread.mjs URL OUTFILE`; TUNE_READ_KIB (64) is the reused buffer's size.
import { closeSync, openSync, writeSync } from 'node:fs';
import { isIP } from 'node:net';
import { connect } from 'node:tls';

const [url, out] = process.argv.slice(2);
const { hostname, port, pathname, search, host } = new URL(url);
const buffer = Buffer.allocUnsafe(Number(process.env.TUNE_READ_KIB ?? 64) * 1024);
const fail = (err) => {
  console.error(err?.message ?? err);
  process.exit(1);
};

const fd = openSync(out, 'w');
let head = Buffer.alloc(0); // the answer's head until its blank line, then undefined
let expected = -1;
let written = 0;

function writeBody(bytes) {
  for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done, bytes.length - done);
  written += bytes.length;
}

function readHead(chunk) {
  head = Buffer.concat([head, chunk]);
  const end = head.indexOf('\r\n\r\n');
  if (end < 0) return;
  const lines = head.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(lines[0].split(' ')[1]);
  if (status !== 200) fail(new Error(`HTTP ${status}`));
  const length = lines.find((l) => /^content-length:/i.test(l));
  if (!length) fail(new Error('no Content-Length'));
  expected = Number(length.split(':')[1]);
  const rest = head.subarray(end + 4);
  head = undefined;
  if (rest.length) writeBody(rest);
}

const socket = connect({
  host: hostname,
  port: Number(port || 443),
  servername: isIP(hostname) ? undefined : hostname,
  onread: {
    buffer,
    callback: (n, buf) => {
      // The buffer is reused for the next record: everything in it is written (or copied, for the head) now.
      const chunk = buf.subarray(0, n);
      if (head) readHead(Buffer.from(chunk));
      else writeBody(chunk);
      if (expected >= 0 && written >= expected) socket.end();
    },
  },
});
socket.on('secureConnect', () => socket.write(`GET ${pathname}${search} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
socket.on('error', fail);
socket.on('close', () => {
  closeSync(fd);
  if (written !== expected) fail(new Error(`${written} bytes of ${expected}`));
});
