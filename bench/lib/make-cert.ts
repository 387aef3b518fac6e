// Writes a private CA and a server certificate for 127.0.0.1 / localhost into the folder given, made now
// with node-forge (the same helper the tests use). Run with tsx: `tsx bench/lib/make-cert.ts DIR`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeCA, makeLeaf } from '../../test/support/certs';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: tsx bench/lib/make-cert.ts DIR');
  process.exit(2);
}
mkdirSync(dir, { recursive: true });
const ca = makeCA('Managed Downloads Bench CA');
const leaf = makeLeaf(ca, { hosts: ['127.0.0.1', 'localhost'] });
writeFileSync(join(dir, 'ca.pem'), ca.cert);
writeFileSync(join(dir, 'server.pem'), leaf.cert + ca.cert);
writeFileSync(join(dir, 'server.key'), leaf.key, { mode: 0o600 });
