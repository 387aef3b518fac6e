// Certificate validation as the UI shows it, inside a real VS Code, against an HTTPS server on 127.0.0.2 with
// a private CA made at test time: the gate is on the path (an in-process validator set through the API is
// called), accepted certificates and rejections appear under the job, the certificate commands work,
// managedDownloads.extraCaFiles takes effect without a reload, and a validator that never answers is reported
// on the job at the line where it was stuck.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ManagedDownloadsClient, ValidationInput } from '../../../src/api';
import { JobState, SecurityFlags } from '../../../src/core/model/job';
import type { TreeNode } from '../../../src/ui/tree/items';
import { makeCA, makeLeaf } from '../../support/certs';
import { startServer, testBytes, type TestServer } from '../../support/servers';
import { testFixture } from '../fixture';
import { cancelAllJobs, downloadFolder, extensionApi, setSetting, waitFor, waitForState } from './ui-support';

const run = <T = unknown>(command: string, ...args: unknown[]) => vscode.commands.executeCommand<T>(`managedDownloads.${command}`, ...args);

describe('UI: certificates', () => {
  let server: TestServer;
  let client: ManagedDownloadsClient;
  const body = testBytes(50_000, 7);
  const ca = makeCA('UI Test CA');

  before(async () => {
    const host = testFixture().serverHost;
    const leaf = makeLeaf(ca, { hosts: [host] });
    server = await startServer({ host, tls: { cert: leaf.cert + ca.cert, key: leaf.key } });
    server.route('/cert.bin', { body });
    client = (await extensionApi()).hooks.apiClientFor('tests.certificates');
  });
  after(async () => {
    await setSetting('extraCaFiles', undefined);
    await setSetting('certificateValidator', undefined);
    const { engine } = await extensionApi();
    await cancelAllJobs(engine);
    await server.close();
  });

  /** An API job for the TLS server that allows the unknown test CA in phase 1, so phase 2 decides. */
  async function apiJob(name: string): Promise<string> {
    const job = await client.createJob({ displayName: name, securityFlags: SecurityFlags.IGNORE_UNKNOWN_CA });
    await client.addFile(job.id, { remoteUrl: server.url('/cert.bin'), localPath: path.join(downloadFolder('certs'), `${name}.bin`) });
    return job.id;
  }

  /** Trusts the test CA in phase 1 through managedDownloads.extraCaFiles, so the workspace validator decides. */
  async function trustTestCa(): Promise<void> {
    const caFile = path.join(testFixture().workspaceFolder, '.vscode', 'ui-test-ca.pem');
    fs.mkdirSync(path.dirname(caFile), { recursive: true });
    fs.writeFileSync(caFile, ca.cert);
    await setSetting('extraCaFiles', ['.vscode/ui-test-ca.pem']);
  }

  /** Writes an accepting validator over `file`, reloads it, retries the job and checks it completes whole. */
  async function fixAndFinish(file: string, jobId: string): Promise<void> {
    const { engine } = await extensionApi();
    fs.writeFileSync(file, 'export default function validate() { return 0; }\n');
    assert.equal(await run('reloadCertificateValidator'), 'loaded');
    await run('retryNow', jobId);
    const done = await waitForState(engine, jobId, JobState.ACKNOWLEDGED);
    assert.deepEqual(fs.readFileSync(done.files[0].localPath), body);
  }

  it('calls an API validator for a host other than 127.0.0.1 and lists the accepted certificate under the job', async () => {
    const { hooks, engine } = await extensionApi();
    const jobId = await apiJob('accepted');
    const seen: ValidationInput[] = [];
    await client.setCertificateValidator(jobId, (input) => {
      seen.push(input);
      return 0;
    });
    assert.equal(engine.getJob(jobId)?.validator, 'api');
    await client.resume(jobId);
    await waitForState(engine, jobId, JobState.TRANSFERRED);
    assert.equal(seen.length, 1, 'the validator ran once for the endpoint');
    assert.equal(seen[0].endpoint.host, testFixture().serverHost);
    assert.match(seen[0].certificate.subject, new RegExp(testFixture().serverHost.replace(/\./g, '\\.')));

    hooks.model.flush();
    const job = hooks.tree.itemFor(jobId)!;
    const group = (hooks.tree.getChildren(job) as TreeNode[]).find((c) => c.kind === 'certificates');
    assert.ok(group && group.kind === 'certificates', 'an "Accepted certificates" child');
    assert.equal(group.contextValue, 'certificates:cache:');
    assert.equal(group.description, '1');
    const [entry] = hooks.tree.getChildren(group) as TreeNode[];
    assert.equal(entry.label, `${testFixture().serverHost}:${new URL(server.origin).port}`);
    assert.equal(hooks.tree.getParent(entry), group);

    assert.deepEqual(await run('clearCertificateCache', jobId), [jobId]);
    assert.equal((await hooks.certificates()).cachedCertificates(jobId).length, 0);
    hooks.model.flush();
    assert.equal(
      (hooks.tree.getChildren(job) as TreeNode[]).find((c) => c.kind === 'certificates'),
      undefined,
    );
  });

  it('shows a declined certificate as a rejection under the job and in "Show Certificate Rejections"', async () => {
    const { hooks, engine } = await extensionApi();
    const jobId = await apiJob('declined');
    await client.setCertificateValidator(jobId, () => ({ code: 0x80096004, reason: 'not the pinned key' }));
    await client.resume(jobId);
    const failed = await waitForState(engine, jobId, JobState.TRANSIENT_ERROR);
    assert.equal(failed.error?.context, 8, 'SERVER_CERTIFICATE_CALLBACK');
    assert.equal(failed.error?.code, 0x80096004);
    assert.equal(server.requestsFor('/cert.bin').length, 1, 'only the accepted job ever sent a request');

    await waitFor('the rejections child', () => {
      hooks.model.flush();
      return (hooks.tree.getChildren(hooks.tree.itemFor(jobId)!) as TreeNode[]).find((c) => c.contextValue === 'certificates:rejections:');
    });
    const group = (hooks.tree.getChildren(hooks.tree.itemFor(jobId)!) as TreeNode[]).find(
      (c) => c.contextValue === 'certificates:rejections:',
    )!;
    const [endpoint] = hooks.tree.getChildren(group) as TreeNode[];
    assert.match(String(endpoint.description), /^once · 1 certificate · last 0x80096004$/);

    const uri = await run<vscode.Uri>('showCertificateRejections', jobId);
    const doc = await vscode.workspace.openTextDocument(uri);
    assert.equal(doc.languageId, 'markdown');
    assert.match(doc.getText(), /not the pinned key/);
    assert.match(doc.getText(), /\| Endpoint \| Rejections \|/);
    const all = await vscode.workspace.openTextDocument(await run<vscode.Uri>('showCertificateRejections'));
    assert.match(all.getText(), /^# Certificate rejections, all jobs/);
  });

  it('managedDownloads.extraCaFiles trusts a private CA in phase 1, without a reload', async () => {
    const { engine } = await extensionApi();
    const folder = downloadFolder('extra-ca');
    const first = await run<string>('newDownload', server.url('/cert.bin'), { destination: folder });
    const refused = await waitForState(engine, first, JobState.TRANSIENT_ERROR);
    assert.match(refused.error?.description ?? '', /platform check/);
    await run('cancel', first, { skipConfirmation: true });

    const caFile = path.join(testFixture().workspaceFolder, '.vscode', 'ui-test-ca.pem');
    fs.mkdirSync(path.dirname(caFile), { recursive: true });
    fs.writeFileSync(caFile, ca.cert);
    await setSetting('extraCaFiles', ['.vscode/ui-test-ca.pem']);
    const second = await run<string>('newDownload', server.url('/cert.bin'), { destination: folder });
    const done = await waitForState(engine, second, JobState.ACKNOWLEDGED);
    assert.deepEqual(fs.readFileSync(done.files[0].localPath), body);
  });

  it('Open Certificate Validator: explains an unset setting, opens the file the setting names, reports a missing one', async () => {
    const { hooks } = await extensionApi();
    await setSetting('certificateValidator', undefined);
    assert.equal(await run('openCertificateValidator'), undefined);
    const note = hooks.messages.recent.at(-1)!;
    assert.match(note.text, /No certificate validator is set/);
    assert.deepEqual(note.actions, ['Open Setting']);

    const file = path.join(testFixture().workspaceFolder, '.vscode', 'ui-validator.ts');
    fs.writeFileSync(file, 'export default function validate() { return 0; }\n');
    await setSetting('certificateValidator', '.vscode/ui-validator.ts');
    const uri = await run<vscode.Uri>('openCertificateValidator');
    assert.equal(uri?.fsPath, file);
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, file);

    await setSetting('certificateValidator', '.vscode/no-such-validator.ts');
    assert.equal(await run('openCertificateValidator'), undefined);
    assert.match(hooks.messages.recent.at(-1)!.text, /no-such-validator\.ts does not exist/);
    await setSetting('certificateValidator', undefined);
  });

  it('Reload Certificate Validator: runs the workspace file for UI jobs, reports a compile error, and reloads a fix', async () => {
    const { hooks, engine } = await extensionApi();
    await trustTestCa();
    const file = path.join(testFixture().workspaceFolder, '.vscode', 'ui-reload-validator.ts');
    fs.writeFileSync(
      file,
      "export default function validate() { return { code: 0x80096004, reason: 'declined by the workspace file' }; }\n",
    );
    await setSetting('certificateValidator', '.vscode/ui-reload-validator.ts');
    try {
      assert.equal(await run('reloadCertificateValidator'), 'loaded');
      assert.match(hooks.messages.recent.at(-1)!.text, /ui-reload-validator\.ts reloaded; certificate caches cleared/);
      const jobId = await run<string>('newDownload', server.url('/cert.bin'), { destination: downloadFolder('reload') });
      assert.equal(engine.getJob(jobId)?.validator, 'workspace', 'UI jobs use the workspace validator when one is set');
      const declined = await waitForState(engine, jobId, JobState.TRANSIENT_ERROR);
      assert.match(declined.error?.description ?? '', /declined by the workspace file/);

      fs.writeFileSync(file, 'export default function validate( {\n');
      assert.equal(await run('reloadCertificateValidator'), 'compile-error');
      const error = hooks.messages.recent.at(-1)!;
      assert.equal(error.severity, 'error');
      assert.match(error.text, /does not compile/);
      assert.deepEqual(error.actions, ['Open Validator']);

      await fixAndFinish(file, jobId);
    } finally {
      await setSetting('certificateValidator', undefined);
      await setSetting('extraCaFiles', undefined);
    }
  });

  it("a workspace validator that never answers: the job's error names the file and line where it was stuck; a fixed file lets the job finish", async () => {
    const { engine } = await extensionApi();
    await trustTestCa();
    await setSetting('validatorTimeLimit', 300);
    const file = path.join(testFixture().workspaceFolder, '.vscode', 'ui-loop-validator.ts');
    // Line 2 loops for ever.
    fs.writeFileSync(file, 'export default function validate(): number {\n  for (;;) {\n    // never answers\n  }\n}\n');
    await setSetting('certificateValidator', '.vscode/ui-loop-validator.ts');
    try {
      assert.equal(await run('reloadCertificateValidator'), 'loaded');
      const jobId = await run<string>('newDownload', server.url('/cert.bin'), { destination: downloadFolder('loop') });
      const stuck = await waitFor('the time-out on the job', () => {
        const job = engine.getJob(jobId);
        return job?.error && /did not answer within 300 ms/.test(job.error.description) ? job : undefined;
      });
      assert.match(stuck.error!.description, /stuck at .*ui-loop-validator\.ts:2:\d+/, stuck.error!.description);

      await fixAndFinish(file, jobId);
    } finally {
      await setSetting('certificateValidator', undefined);
      await setSetting('validatorTimeLimit', undefined);
      await setSetting('extraCaFiles', undefined);
    }
  });
});
