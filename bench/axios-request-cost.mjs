// Issue 17 point 4, the CPU side: what one GET costs the client through axios against a bare ClientRequest on the
// same keep-alive agent, as the product makes it (src/core/transfer/http-client.ts). The server runs in a child
// process, so the figures are the client's alone; rounds of sequential requests alternate between the two ways.
// `node bench/axios-request-cost.mjs [ROUNDS] [REQUESTS]` (defaults 5 and 1,000); prints the median CPU per request.
import { fork } from 'node:child_process';
import { Agent, ClientRequest } from 'node:http';
import axios from 'axios';

const rounds = Number(process.argv[2] ?? 5);
const requests = Number(process.argv[3] ?? 1000);
const BODY_BYTES = 100 * 1024;

if (process.argv[2] === 'serve') {
  const { createServer } = await import('node:http');
  const body = Buffer.alloc(BODY_BYTES, 7);
  const server = createServer((_req, res) => res.end(body));
  server.listen(0, '127.0.0.1', () => process.send(server.address().port));
} else {
  const server = fork(new URL(import.meta.url).pathname, ['serve']);
  const port = await new Promise((resolve) => server.once('message', resolve));
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const url = `http://127.0.0.1:${port}/f`;
  const drain = (res, resolve, reject) => {
    res.on('data', () => {});
    res.on('end', resolve);
    res.on('error', reject);
  };
  const ways = {
    ClientRequest: () =>
      new Promise((resolve, reject) => {
        const req = new ClientRequest(url, { agent }, (res) => drain(res, resolve, reject));
        req.on('error', reject);
        req.end();
      }),
    // As the product had it: a stream answer, no transforms, no redirects, no proxy, the job's agent.
    axios: () =>
      axios
        .get(url, { httpAgent: agent, responseType: 'stream', transformResponse: [], maxRedirects: 0, proxy: false, decompress: false })
        .then((res) => new Promise((resolve, reject) => drain(res.data, resolve, reject))),
  };
  const perRequestMs = { ClientRequest: [], axios: [] };
  for (let round = 0; round < rounds; round++) {
    for (const name of round % 2 ? ['axios', 'ClientRequest'] : ['ClientRequest', 'axios']) {
      const before = process.cpuUsage();
      for (let i = 0; i < requests; i++) await ways[name]();
      const used = process.cpuUsage(before);
      perRequestMs[name].push((used.user + used.system) / 1000 / requests);
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const [name, xs] of Object.entries(perRequestMs))
    console.log(
      `${name}: median ${median(xs).toFixed(3)} ms of client CPU per request (rounds: ${xs.map((x) => x.toFixed(3)).join(', ')})`,
    );
  agent.destroy();
  server.kill();
}
