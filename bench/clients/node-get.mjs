// Baseline client: a plain Node https.get piped to a file, the naive path any Node download starts from.
// `node node-get.mjs URL OUTFILE` (trusts NODE_EXTRA_CA_CERTS like the product does).
import { createWriteStream } from 'node:fs';
import { get } from 'node:https';
import { pipeline } from 'node:stream/promises';

const [url, out] = process.argv.slice(2);
get(url, async (res) => {
  if (res.statusCode !== 200) {
    console.error(`HTTP ${res.statusCode}`);
    process.exit(1);
  }
  await pipeline(res, createWriteStream(out));
}).on('error', (err) => {
  console.error(err.message);
  process.exit(1);
});
