// The temp-file sink when its source fails mid-write: whoever resumes from the counted position must see every
// byte that reached the file counted first (a reconnect that read the count too early wrote its bytes at the
// wrong offset: wrong bytes delivered, seen on a loaded machine).
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import { TempFileSink } from '../../../src/core/transfer/temp-file';

test('a failed source rejects the pipeline at once; idle() settles only after the in-flight batch is written and counted', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'md-sink-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  const handle = await fs.open(path.join(dir, 'part'), 'w');
  t.after(() => handle.close());
  const batch = Buffer.alloc(8 << 20, 7);
  let counted = 0;
  const sink = new TempFileSink(handle, 0, (bytes) => (counted += bytes));
  const source = new Readable({
    read() {
      this.push(batch);
      // The connection drops while the sink is still writing what it got.
      setImmediate(() => this.destroy(new Error('ECONNRESET')));
    },
  });
  await assert.rejects(pipeline(source, sink), /ECONNRESET/);
  await sink.idle();
  assert.equal(counted, batch.length, 'the batch that was in flight is counted before idle() settles');
  assert.equal((await handle.stat()).size, batch.length, 'and it is in the file');
});
