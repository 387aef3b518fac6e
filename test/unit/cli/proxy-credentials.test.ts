// A proxy URL's user name and password never reach a message, the job store or the CLI's output, even when the
// URL is malformed or names an unsupported scheme (the failure is recorded on the job and printed).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { runCli } from '../../support/cli';
import { sandboxFor } from '../../support/engine';

test('CLI: a malformed or socks proxy with credentials fails clearly; the credentials are in no output or store file', async (t) => {
  const box = sandboxFor(t);
  for (const proxy of ['socks5://alice:hunter2-secret@proxy.example:1080', 'http://alice:hunter2-secret@[proxy.example:3128']) {
    const r = await runCli(
      ['get', 'http://127.0.0.1:9/file.bin', '--dest', box.dest, '--store', box.store, '--no-progress-timeout', '0', '--json'],
      { HTTP_PROXY: proxy, HTTPS_PROXY: '', NO_PROXY: '' },
    );
    assert.equal(r.code, 1, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.error.codeName, 'BG_E_INVALID_PROXY_INFO');
    assert.match(out.error.description, /The proxy '[a-z0-9]+:\/\/\*\*\*@[^']+' \(from HTTP_PROXY\)/);
    for (const text of [r.stdout, r.stderr]) assert.ok(!text.includes('hunter2') && !text.includes('alice'), `printed: ${text}`);
  }
  const jobs = path.join(box.store, 'jobs');
  for (const name of readdirSync(jobs))
    assert.ok(!readFileSync(path.join(jobs, name), 'utf8').includes('hunter2'), `${name} holds the proxy password`);
});
