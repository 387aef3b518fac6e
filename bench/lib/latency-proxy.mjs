// A small TCP proxy that delays every chunk by a fixed time in each direction, standing in for a long
// link (this kernel has no netem, so tc cannot shape traffic). TLS passes through untouched.
// Run as its own process so its CPU is not the harness's: `node latency-proxy.mjs TARGET_PORT DELAY_MS`;
// it prints "listening PORT" when ready.
import { connect, createServer } from 'node:net';

const [targetPort, delayMs] = process.argv.slice(2).map(Number);
if (!targetPort || !(delayMs >= 0)) {
  console.error('usage: node latency-proxy.mjs TARGET_PORT DELAY_MS');
  process.exit(2);
}

/** Forwards from `from` to `to`, each chunk `delayMs` after it arrived, in order, keeping backpressure. */
function delayedPipe(from, to) {
  const queue = [];
  let timer;
  let ended = false;
  const drainDue = () => {
    timer = undefined;
    const now = Date.now();
    while (queue.length && queue[0].due <= now) {
      if (!to.write(queue.shift().data)) from.pause();
    }
    if (queue.length) timer = setTimeout(drainDue, queue[0].due - now);
    else if (ended) to.end();
  };
  to.on('drain', () => from.resume());
  from.on('data', (data) => {
    queue.push({ data, due: Date.now() + delayMs });
    if (!timer) timer = setTimeout(drainDue, delayMs);
  });
  from.on('end', () => {
    ended = true;
    if (!timer && queue.length === 0) to.end();
  });
}

const server = createServer({ noDelay: true }, (client) => {
  const upstream = connect({ port: targetPort, host: '127.0.0.1', noDelay: true });
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  // An error or an abort (close without end) tears down both sides; a clean end is forwarded in order
  // by delayedPipe, after the chunks still in flight.
  for (const socket of [client, upstream]) {
    let endSeen = false;
    socket.on('end', () => (endSeen = true));
    socket.on('error', close);
    socket.on('close', () => endSeen || close());
  }
  delayedPipe(client, upstream);
  delayedPipe(upstream, client);
});
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
process.on('SIGTERM', () => process.exit(0));
