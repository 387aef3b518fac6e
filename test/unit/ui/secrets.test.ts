// Write-only headers: their values live in the secret store (VS Code's SecretStorage through HeaderSecrets) and
// reach the server, but never the job store, the log, a job snapshot (what tooltips and details are made from),
// the tooltip or details text, an error message, the CLI's output, or another origin after a redirect.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { test } from 'node:test';
import type * as vscode from 'vscode';
import { JobState } from '../../../src/core/model/job';
import { HeaderSecrets } from '../../../src/ui/headerSecrets';
import { jobDetailsMarkdown, jobTooltipMarkdown } from '../../../src/ui/jobMarkdown';
import { runCli } from '../../support/cli';
import { openEngine, sandbox, waitForState } from '../../support/engine';
import { startServer } from '../../support/servers';
import { allFileText } from '../../support/store';

/** SecretStorage as VS Code gives it, kept in memory (the OS keychain is VS Code's business). */
function memorySecretStorage(): vscode.SecretStorage & { entries: Map<string, string> } {
  const entries = new Map<string, string>();
  return {
    entries,
    get: async (key) => entries.get(key),
    store: async (key, value) => void entries.set(key, value),
    delete: async (key) => void entries.delete(key),
    keys: async () => [...entries.keys()],
    onDidChange: () => ({ dispose: () => undefined }),
  };
}

test('a write-only token reaches its server only, and no store file, log line, snapshot, tooltip, error or CLI output holds it', async (t) => {
  const token = `tok-${randomBytes(12).toString('hex')}`;
  const apiKey = `key-${randomBytes(12).toString('hex')}`;
  const box = sandbox();
  const server = await startServer();
  const other = await startServer();
  const storage = memorySecretStorage();
  const secrets = new HeaderSecrets(storage);
  const logs: string[] = [];
  const engine = await openEngine(box, {
    headerSecrets: (id) => secrets.get(id),
    log: (level, message) => logs.push(`${level} ${message}`),
  });
  t.after(async () => {
    await engine.dispose().catch(() => undefined);
    await server.close();
    await other.close();
    await box.cleanup();
  });
  const authorised = (req: { headers: Record<string, unknown> }) =>
    req.headers['authorization'] === `Bearer ${token}` && req.headers['x-api-key'] === apiKey;
  server.route('/private.bin', (_n, req) => (authorised(req) ? { body: Buffer.from('private bytes') } : { status: 401 }));
  server.route('/forbidden.bin', { status: 403 });
  server.route('/moved.bin', { redirect: other.url('/elsewhere.bin') });
  other.route('/elsewhere.bin', { body: Buffer.from('public bytes') });

  const ids: string[] = [];
  for (const name of ['private', 'forbidden', 'moved']) {
    const job = await engine.createJob({ displayName: name, minimumRetryDelay: 0, noProgressTimeout: 0 });
    await secrets.set(job.id, 'Authorization', `Bearer ${token}`);
    const names = await secrets.set(job.id, 'X-Api-Key', apiKey);
    await engine.setProperties(job.id, { writeOnlyHeaderNames: names });
    await engine.addFile(job.id, { remoteUrl: server.url(`/${name}.bin`), localPath: path.join(box.dest, `${name}.bin`) });
    await engine.resume(job.id);
    ids.push(job.id);
  }
  const [privateJob, forbiddenJob, movedJob] = await Promise.all(
    ids.map((id) => waitForState(engine, id, [JobState.TRANSFERRED, JobState.ERROR])),
  );
  assert.equal(privateJob.state, JobState.TRANSFERRED, 'the server received the write-only headers');
  assert.equal(forbiddenJob.state, JobState.ERROR);
  assert.equal(movedJob.state, JobState.TRANSFERRED);
  const elsewhere = other.requestsFor('/elsewhere.bin').at(-1)!;
  assert.equal(elsewhere.headers['authorization'], undefined, 'the token does not follow a redirect to another origin');
  assert.equal(elsewhere.headers['x-api-key'], undefined, 'nor does a write-only header of any name');
  assert.deepEqual(privateJob.writeOnlyHeaderNames, ['Authorization', 'X-Api-Key'], 'the names are recorded');
  await engine.complete(privateJob.id);

  const snapshots = ids.map((id) => engine.getJob(id)!);
  const texts: Record<string, string> = {
    'job snapshots': JSON.stringify(snapshots),
    'tooltips and details': snapshots
      .map((j) => jobTooltipMarkdown(j, engine.getProgress(j.id)) + jobDetailsMarkdown(j, engine.getProgress(j.id)))
      .join('\n'),
    'error messages': snapshots.map((j) => j.error?.description ?? '').join('\n'),
    log: logs.join('\n'),
  };
  assert.match(
    texts['tooltips and details'].replace(/\\/g, ''),
    /X-Api-Key \(write-only\)/,
    'the details show that write-only headers exist',
  );
  await engine.dispose();
  texts['store files'] = allFileText(box.store);
  for (const args of [['list', '--json'], ['list'], ['info', forbiddenJob.id, '--json'], ['info', forbiddenJob.id], ['run', '--verbose']]) {
    const cli = await runCli([...args, '--store', box.store]);
    texts[`CLI ${args.join(' ')}`] = cli.stdout + cli.stderr;
  }
  assert.match(texts['CLI info ' + forbiddenJob.id], /403/);
  for (const [where, text] of Object.entries(texts)) {
    assert.ok(!text.includes(token), `the token is in the ${where}`);
    assert.ok(!text.includes(apiKey), `the API key is in the ${where}`);
  }
  assert.equal(
    [...storage.entries.values()].filter((v) => v.includes(token)).length,
    3,
    'the values live in the secret storage, one entry per job',
  );
  await secrets.forget(privateJob.id);
  assert.equal(storage.entries.size, 2, 'forgetting a finished job removes its entry');
});

test('CLI: a credential --header and MANAGED_DOWNLOADS_HEADERS are sent, recorded by name only, and printed nowhere', async (t) => {
  const token = `tok-${randomBytes(12).toString('hex')}`;
  const apiKey = `key-${randomBytes(12).toString('hex')}`;
  const box = sandbox();
  const server = await startServer();
  t.after(async () => {
    await server.close();
    await box.cleanup();
  });
  server.route('/cli-private.bin', (_n, req) =>
    req.headers['authorization'] === `Bearer ${token}` && req.headers['x-api-key'] === apiKey
      ? { body: Buffer.from('ok') }
      : { status: 401 },
  );
  const got = await runCli(
    [
      'get',
      server.url('/cli-private.bin'),
      '--dest',
      box.dest,
      '--store',
      box.store,
      '--header',
      `Authorization: Bearer ${token}`,
      '--header',
      'X-Trace: visible',
      '--verbose',
      '--json',
    ],
    {
      MANAGED_DOWNLOADS_HEADERS: `X-Api-Key: ${apiKey}`,
    },
  );
  assert.equal(got.code, 0, got.stderr);
  assert.equal(server.requestsFor('/cli-private.bin').at(-1)?.headers['x-trace'], 'visible');
  const list = await runCli(['list', '--json', '--store', box.store]);
  const stored = allFileText(box.store);
  assert.match(stored.replace(/\s/g, ''), /"writeOnlyHeaderNames":\["Authorization","X-Api-Key"\]/);
  assert.match(stored, /X-Trace/, 'an ordinary header is stored as before');
  for (const [where, text] of Object.entries({
    'get output': got.stdout + got.stderr,
    'list output': list.stdout + list.stderr,
    store: stored,
  })) {
    assert.ok(!text.includes(token), `the token is in the ${where}`);
    assert.ok(!text.includes(apiKey), `the API key is in the ${where}`);
  }
});
