// The workspace's validator file is workspace code: in a folder VS Code does not trust, it is never run,
// even when the folder's own settings name it (as a hostile repository would): VS Code hides that restricted
// setting until the folder is trusted, so jobs run on phase 1 alone (OpenSSL's verdict). A validator named in
// the user's own settings is in force but cannot run here: then jobs wait with INTERFACE_REQUIRED. The server listens on 127.0.0.2, the path real hosts take inside VS Code.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { JobState, SecurityFlags } from '../../../src/core/model/job';
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

  test("the folder's validator setting is not in force in Restricted Mode: a job runs on phase 1 alone and the file never runs", async () => {
    // VS Code hides a restricted setting's workspace value until the folder is trusted, so the workspace has no
    // validator here; phase 1 (OpenSSL's verdict, with the job's flags) still decides every connection.
    const { engine } = await extensionApi();
    const job = await engine.createJob({
      displayName: 'follows the workspace validator',
      validator: 'workspace',
      securityFlags: SecurityFlags.IGNORE_UNKNOWN_CA,
      noProgressTimeout: 0,
    });
    const dest = path.join(downloadFolder('untrusted'), 'file.bin');
    await engine.addFile(job.id, { remoteUrl: server.url('/file.bin'), localPath: dest });
    await engine.resume(job.id);
    await waitForState(engine, job.id, JobState.TRANSFERRED);
    await engine.complete(job.id);
    assert.deepEqual(fs.readFileSync(dest), body);
    assert.equal(fs.existsSync(marker), false, 'the validator file ran in an untrusted workspace');
  });

  test('a job that does not need a validator still downloads over the same gate (phase 1 only)', async () => {
    const { engine } = await extensionApi();
    const job = await engine.createJob({
      displayName: 'no validator needed',
      validator: 'none',
      securityFlags: SecurityFlags.IGNORE_UNKNOWN_CA,
    });
    const dest = path.join(downloadFolder('untrusted-plain'), 'file.bin');
    await engine.addFile(job.id, { remoteUrl: server.url('/file.bin'), localPath: dest });
    await engine.resume(job.id);
    await waitForState(engine, job.id, JobState.TRANSFERRED);
    await engine.complete(job.id);
    assert.deepEqual(fs.readFileSync(dest), body);
    assert.equal(fs.existsSync(marker), false);
  });
});
