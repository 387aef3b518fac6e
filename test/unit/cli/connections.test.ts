// `get --connections N`: parsed and checked with a clear message, and obeyed: 1 fetches a large file over one
// plain GET, the default splits it into Range pieces.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { parseCommand } from '../../../src/cli/args';
import { UsageError } from '../../../src/cli/usage';
import { runCli } from '../../support/cli';
import { sandboxFor } from '../../support/engine';
import { sha256, startServer, testBytes, type TestServer } from '../../support/servers';

let server: TestServer;
// Just above the CLI's default threshold for segments (32 MiB).
const large = testBytes((32 << 20) + 12_345, 91);
before(async () => {
  server = await startServer();
  server.route('/large-one.bin', { body: large });
  // Paced per connection, as a CDN might: on loopback one unpaced connection fetches 32 MiB before the ramp has
  // judged a second one worth it.
  server.route('/large-default.bin', { body: large, bytesPerSecond: 16_000_000 });
});
after(() => server.close());

test('--connections takes a whole number from 1 to 64; anything else is a usage error that says what to write', () => {
  const get = parseCommand(['get', 'https://example.com/f', '--connections', '4']);
  assert.equal(get.name === 'get' && get.connections, 4);
  const unset = parseCommand(['get', 'https://example.com/f']);
  assert.equal(unset.name === 'get' && unset.connections, undefined, 'absent: the engine default applies');
  for (const bad of ['0', '65', '2.5', '-1', 'many', '']) {
    assert.throws(
      () => parseCommand(['get', 'https://example.com/f', `--connections=${bad}`]),
      (err: unknown) => {
        assert.ok(err instanceof UsageError);
        assert.match(err.message, /--connections needs a whole number from 1 to 64 .*1 fetches every file over one connection/);
        return true;
      },
    );
  }
  assert.throws(() => parseCommand(['list', '--connections', '2']), /--connections does not apply to "list"/);
});

test('get --connections 1 fetches a large file with one plain GET; by default it comes in Range pieces', async (t) => {
  const box = sandboxFor(t);
  const one = await runCli(
    ['get', server.url('/large-one.bin'), '--dest', box.dest, '--store', box.store, '--connections', '1'],
    {},
    60_000,
  );
  assert.equal(one.code, 0, one.stderr);
  assert.equal(sha256(readFileSync(path.join(box.dest, 'large-one.bin'))), sha256(large));
  assert.deepEqual(
    server.requestsFor('/large-one.bin').map((r) => r.headers['range']),
    [undefined],
    'one request, no Range',
  );

  const usual = await runCli(['get', server.url('/large-default.bin'), '--dest', box.dest, '--store', box.store], {}, 60_000);
  assert.equal(usual.code, 0, usual.stderr);
  assert.equal(sha256(readFileSync(path.join(box.dest, 'large-default.bin'))), sha256(large));
  assert.ok(
    server.requestsFor('/large-default.bin').some((r) => r.headers['range'] !== undefined),
    'the default segments a file this large',
  );
});
