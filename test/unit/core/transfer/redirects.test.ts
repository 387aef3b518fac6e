// Redirects per the job's policy (BITS security flags): allow silently, allow and report, disallow; https to
// http only with its flag; loops end in a clear error; credentials do not follow to another origin.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { Codes, ErrorContext } from '../../../../src/core/errors';
import { JobState, SecurityFlags } from '../../../../src/core/model/job';
import { DefaultConnections } from '../../../../src/core/transfer/default-connections';
import { engineForTest, startJob, waitForState } from '../../../support/engine';
import { sha256, startServer, startTlsServer, testBytes, type TestServer } from '../../../support/servers';

let server: TestServer;
let other: TestServer;
const body = testBytes(60_000, 41);
before(async () => {
  server = await startServer();
  other = await startServer();
  server.route('/target', { body });
  server.route('/hop2', { redirect: '/target', redirectStatus: 307 });
  server.route('/hop1', { redirect: '/hop2', redirectStatus: 301 });
  server.route('/loop-a', { redirect: '/loop-b' });
  server.route('/loop-b', { redirect: '/loop-a' });
  other.route('/elsewhere', { body });
  server.route('/to-other', { redirect: other.url('/elsewhere') });
  server.route('/to-ftp', { redirect: 'ftp://127.0.0.1/file' });
});
after(async () => {
  await server.close();
  await other.close();
});

async function run(
  t: { after: (fn: () => Promise<void>) => void },
  url: string,
  securityFlags: number,
  customHeaders?: Record<string, string>,
) {
  const { box, engine } = await engineForTest(t);
  const job = await startJob(engine, box, [{ url, name: 'out.bin' }], {
    displayName: 'redirect',
    minimumRetryDelay: 0,
    securityFlags,
    customHeaders,
  });
  const end = await waitForState(engine, job.id, [JobState.TRANSFERRED, JobState.ERROR]);
  if (end.state === JobState.TRANSFERRED) await engine.complete(job.id);
  return { end, file: () => readFileSync(path.join(box.dest, 'out.bin')) };
}

test('the default policy follows a redirect chain silently: the file arrives, the remote name is unchanged', async (t) => {
  const { end, file } = await run(t, server.url('/hop1'), SecurityFlags.REDIRECT_POLICY_ALLOW_SILENT);
  assert.equal(end.state, JobState.TRANSFERRED);
  assert.equal(sha256(file()), sha256(body));
  assert.equal(end.files[0].finalUrl, undefined);
  assert.equal(end.files[0].remoteUrl, server.url('/hop1'));
});

test('allow-and-report follows and records where the file really came from', async (t) => {
  const { end } = await run(t, server.url('/hop1'), SecurityFlags.REDIRECT_POLICY_ALLOW_REPORT);
  assert.equal(end.state, JobState.TRANSFERRED);
  assert.equal(end.files[0].finalUrl, server.url('/target'));
});

test('disallow makes a redirect a final ERROR that names the target', async (t) => {
  const { end } = await run(t, server.url('/hop1'), SecurityFlags.REDIRECT_POLICY_DISALLOW);
  assert.equal(end.state, JobState.ERROR);
  assert.equal(end.error?.code, Codes.MD_E_REDIRECT_DISALLOWED);
  assert.equal(end.error?.context, ErrorContext.REMOTE_FILE);
  assert.match(end.error!.description, /\/hop2/);
});

test('a redirect loop ends in MD_E_TOO_MANY_REDIRECTS', async (t) => {
  const { end } = await run(t, server.url('/loop-a'), 0);
  assert.equal(end.state, JobState.ERROR);
  assert.equal(end.error?.code, Codes.MD_E_TOO_MANY_REDIRECTS);
  assert.match(end.error!.description, /redirect loop/);
});

test('a redirect to another scheme is refused (BG_E_PROTOCOL_NOT_AVAILABLE)', async (t) => {
  const { end } = await run(t, server.url('/to-ftp'), 0);
  assert.equal(end.error?.code, Codes.BG_E_PROTOCOL_NOT_AVAILABLE);
});

test('credentials do not follow a redirect to another origin; other custom headers do', async (t) => {
  const { end } = await run(t, server.url('/to-other'), 0, { Authorization: 'Bearer secret-token', 'X-Trace': 'kept' });
  assert.equal(end.state, JobState.TRANSFERRED);
  assert.equal(server.requestsFor('/to-other').at(-1)?.headers['authorization'], 'Bearer secret-token');
  const arrived = other.requestsFor('/elsewhere').at(-1)!;
  assert.equal(arrived.headers['authorization'], undefined);
  assert.equal(arrived.headers['x-trace'], 'kept');
});

test('https to http is refused unless the job allows it (flag 0x800)', async (t) => {
  const { server: tls, ca } = await startTlsServer();
  const connections = new DefaultConnections({ ca: ca.cert });
  t.after(async () => {
    connections.dispose();
    await tls.close();
  });
  tls.route('/down', { redirect: server.url('/target') });
  const { box, engine } = await engineForTest(t, { connections });
  const refused = await startJob(engine, box, [{ url: tls.url('/down'), name: 'a.bin' }], { displayName: 'r', minimumRetryDelay: 0 });
  const failed = await waitForState(engine, refused.id, JobState.ERROR);
  assert.equal(failed.error?.code, Codes.MD_E_REDIRECT_HTTPS_TO_HTTP);
  assert.match(failed.error!.description, /0x800/);
  const allowed = await startJob(engine, box, [{ url: tls.url('/down'), name: 'b.bin' }], {
    displayName: 'a',
    minimumRetryDelay: 0,
    securityFlags: SecurityFlags.ALLOW_HTTPS_TO_HTTP_REDIRECT,
  });
  await waitForState(engine, allowed.id, JobState.TRANSFERRED);
});
