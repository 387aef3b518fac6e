// What a person sees while jobs run: on a terminal (a pseudo-terminal through script(1)) one line per job, each
// with its name, redrawn in place, so two jobs never overwrite one line; in a log, plain lines that name their
// job; and `watch`, which follows jobs another process runs without taking the store from it.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { collect, REPO, runCli, spawnCli } from '../../support/cli';
import { sandboxFor } from '../../support/engine';
import { startServer, testBytes, type TestServer } from '../../support/servers';
import { waitUntil } from '../../support/wait';

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server.close());

/** A job with one file, made with create and add; its id. */
async function jobWithFile(store: string, dest: string, name: string, url: string, extra: string[] = []): Promise<string> {
  const created = await runCli(['create', '--store', store, '--name', name, ...extra]);
  assert.equal(created.code, 0, created.stderr);
  const id = created.stdout.trim();
  const added = await runCli(['add', id, url, '--dest', dest, '--store', store]);
  assert.equal(added.code, 0, added.stderr);
  return id;
}

/**
 * Replays terminal output on a screen of lines (carriage return, line feed, cursor up, erase line, erase below:
 * what the CLI writes) and says whether `seen` held for the screen at any moment.
 */
function everShows(output: string, seen: (rows: string[]) => boolean): boolean {
  const rows: string[] = [''];
  let row = 0;
  let col = 0;
  for (let i = 0; i < output.length; i++) {
    const ch = output[i];
    if (ch === '\x1b') {
      // eslint-disable-next-line no-control-regex -- an escape sequence is what is parsed here
      const m = /^\x1b\[(\d*)([A-Za-z])/.exec(output.slice(i, i + 12));
      if (!m) continue;
      i += m[0].length - 1;
      if (m[2] === 'A') row = Math.max(0, row - Number(m[1] || 1));
      else if (m[2] === 'K') rows[row] = rows[row].slice(0, col);
      else if (m[2] === 'J') {
        rows[row] = rows[row].slice(0, col);
        rows.length = row + 1;
      }
      if (seen(rows)) return true;
    } else if (ch === '\r') col = 0;
    else if (ch === '\n') {
      row++;
      while (rows.length <= row) rows.push('');
      if (seen(rows)) return true;
    } else {
      const line = rows[row].padEnd(col);
      rows[row] = line.slice(0, col) + ch + line.slice(col + 1);
      col++;
    }
  }
  return seen(rows);
}

test('on a terminal, two jobs get a line each, named, redrawn in place (never one line both overwrite)', async (t) => {
  if (spawnSync('script', ['--version']).status !== 0) return t.skip('no script(1) on this machine');
  const box = sandboxFor(t);
  for (const name of ['alpha', 'beta'])
    server.route(`/tty/${name}.bin`, { body: testBytes(1_500_000, name.length), bytesPerSecond: 500_000 });
  const alpha = await jobWithFile(box.store, box.dest, 'alpha-job', server.url('/tty/alpha.bin'));
  const beta = await jobWithFile(box.store, box.dest, 'beta-job', server.url('/tty/beta.bin'));
  const cli = [process.execPath, '--import', 'tsx', path.join(REPO, 'src', 'cli.ts'), 'resume', alpha, beta, '--store', box.store].join(
    ' ',
  );
  const child = spawn('script', ['-qec', cli, '/dev/null'], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] });
  const result = await collect(child, 60_000);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  const line = (rows: string[], name: string) => rows.findIndex((r) => r.startsWith(name) && /\[[#-]{20}\] +\d+\.\d%/.test(r));
  const both = everShows(result.stdout, (rows) => {
    const a = line(rows, 'alpha-job');
    const b = line(rows, 'beta-job');
    return a >= 0 && b >= 0 && a !== b;
  });
  assert.ok(both, `both jobs were on the screen at once, each on its own line:\n${JSON.stringify(result.stdout.slice(0, 2000))}`);
});

test('plain lines name their job; watch follows a job another process runs (NDJSON) and ends when it rests', async (t) => {
  const box = sandboxFor(t);
  server.route('/watched.bin', { body: testBytes(2 * 1024 * 1024, 51), bytesPerSecond: 256 * 1024 });
  const nothing = await runCli(['watch', '--store', box.store]);
  assert.equal(nothing.code, 0, nothing.stderr);
  assert.match(nothing.stderr, /Nothing to watch/);

  const id = await jobWithFile(box.store, box.dest, 'gamma-job', server.url('/watched.bin'), ['--auto-complete']);
  const runner = spawnCli(['resume', id, '--store', box.store]);
  const ran = collect(runner, 60_000);
  await waitUntil('the runner started', () => server.requestsFor('/watched.bin').length > 0, { timeoutMs: 20_000 });
  // The runner holds the store's lease; watch only reads.
  const watched = await runCli(['watch', id.slice(0, 8), '--store', box.store, '--json'], {}, 60_000);
  assert.equal(watched.code, 0, watched.stderr);
  const lines = watched.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const last = lines.pop();
  assert.deepEqual([last.ok, last.jobs.map((j: { id: string; state: string }) => [j.id, j.state])], [true, [[id, 'ACKNOWLEDGED']]]);
  assert.ok(lines.length > 0 && lines.every((e) => e.id === id && typeof e.event === 'string'), 'one JSON object per change of the job');
  assert.ok(lines.some((e) => e.event === 'progress' || e.event === 'state'));

  const runnerResult = await ran;
  assert.equal(runnerResult.code, 0, runnerResult.stderr);
  assert.match(runnerResult.stderr, new RegExp(`^${id.slice(0, 8)} gamma-job: TRANSFERRING$`, 'm'), 'a log line names its job');
  assert.match(runnerResult.stderr, new RegExp(`^${id.slice(0, 8)} gamma-job: TRANSFERRED 1 file, 2\\.0 MiB in `, 'm'));
});
