// The workspace's validator file is workspace code: in a folder VS Code does not trust, it is never run,
// even when the folder's own settings name it (as a hostile repository would). Jobs that need it wait
// with BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED and send no request; downloads that do not need it
// still work. The server listens on 127.0.0.2, the path real hosts take inside VS Code.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Codes } from '../../../src/core/errors';
import { JobState, SecurityFlags } from '../../../src/core/jobs/model';
import { makeCA, makeLeaf } from '../../support/certs';
import { startServer, testBytes, type TestServer } from '../../support/servers';
import { testFixture } from '../fixture';
import { downloadFolder, extensionApi, setSetting, waitForState } from '../suite/ui-support';

suite('Restricted mode: the validator file never runs', () => {
  let server: TestServer;
  const body = testBytes(20_000, 3);
  const ca = makeCA('Untrusted Suite CA');
  const marker = path.join(testFixture().workspaceFolder, 'validator-ran.txt');
  const validatorFile = path.join(testFixture().workspaceFolder, '.vscode', 'hostile-validator.ts');

  suiteSetup(async () => {
    const host = testFixture().serverHost;
    const leaf = makeLeaf(ca, { hosts: [host] });
    server = await startServer({ host, tls: { cert: leaf.cert + ca.cert, key: leaf.key } });
    server.route('/file.bin', { body });
    fs.mkdirSync(path.dirname(validatorFile), { recursive: true });
    // If this file were ever compiled and run, its top level would leave the marker behind.
    fs.writeFileSync(
      validatorFile,
      `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'the validator ran');\nexport default function validate() { return 0; }\n`,
    );
    await setSetting('certificateValidator', '.vscode/hostile-validator.ts');
  });
  suiteTeardown(async () => {
    await setSetting('certificateValidator', undefined);
    await server.close();
  });

  test('the workspace is untrusted', () => {
    assert.equal(vscode.workspace.isTrusted, false);
  });

  test('Reload Certificate Validator does not load the file the folder names', async () => {
    const state = await vscode.commands.executeCommand<string>('managedDownloads.reloadCertificateValidator');
    assert.notEqual(state, 'loaded');
    assert.equal(fs.existsSync(marker), false, 'the validator file ran in an untrusted workspace');
  });

  test('a job that needs the workspace validator gets INTERFACE_REQUIRED, sends no request, and the file never runs', async () => {
    const { engine } = await extensionApi();
    const job = await engine.createJob({ displayName: 'needs the workspace validator', validator: 'workspace', securityFlags: SecurityFlags.IGNORE_UNKNOWN_CA, noProgressTimeout: 0 });
    await engine.addFile(job.id, { remoteUrl: server.url('/file.bin'), localPath: path.join(downloadFolder('untrusted'), 'file.bin') });
    await engine.resume(job.id);
    const failed = await waitForState(engine, job.id, JobState.ERROR);
    assert.equal(failed.error?.code, Codes.BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED);
    assert.equal(server.requestsFor('/file.bin').length, 0, 'a request reached the server before both phases accepted');
    assert.equal(fs.existsSync(marker), false, 'the validator file ran in an untrusted workspace');
    await engine.cancel(job.id);
  });

  test('a job that does not need a validator still downloads over the same gate (phase 1 only)', async () => {
    const { engine } = await extensionApi();
    const job = await engine.createJob({ displayName: 'no validator needed', validator: 'none', securityFlags: SecurityFlags.IGNORE_UNKNOWN_CA });
    const dest = path.join(downloadFolder('untrusted-plain'), 'file.bin');
    await engine.addFile(job.id, { remoteUrl: server.url('/file.bin'), localPath: dest });
    await engine.resume(job.id);
    await waitForState(engine, job.id, JobState.TRANSFERRED);
    await engine.complete(job.id);
    assert.deepEqual(fs.readFileSync(dest), body);
    assert.equal(fs.existsSync(marker), false);
  });
});
