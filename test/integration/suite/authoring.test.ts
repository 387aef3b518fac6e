// Validator authoring inside a real VS Code: Create Certificate Validator writes a typed template that the
// TypeScript language service understands with nothing installed (hover and completion of the helper
// module resolve, no diagnostics); breaking the file shows a diagnostic at the broken line, and mending it
// removes the diagnostic and reloads the validator; Test Certificate Validator on URL checks a real TLS
// server on 127.0.0.2 without sending it a request.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CertificateService, WorkspaceValidatorState } from '../../../src/core/tls/service';
import type { DryRunReport } from '../../../src/validator/authoring/dry-run';
import { makeCA, makeLeaf } from '../../support/certs';
import { startServer, type TestServer } from '../../support/servers';
import { letTimePass } from '../../support/wait';
import { testFixture } from '../fixture';
import { extensionApi, setSetting, waitFor } from './ui-support';

const SOURCE = 'Managed Downloads validator';
const run = <T = unknown>(command: string, ...args: unknown[]) => vscode.commands.executeCommand<T>(`managedDownloads.${command}`, ...args);

function ours(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === SOURCE);
}

function hoverText(hovers: vscode.Hover[] | undefined): string {
  return (hovers ?? [])
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))
    .join('\n');
}

/** The position of the first `text` in the document (its first character, plus `offset`). */
function positionOf(doc: vscode.TextDocument, text: string, offset = 0): vscode.Position {
  const at = doc.getText().indexOf(text);
  assert.ok(at >= 0, `"${text}" is in the template`);
  return doc.positionAt(at + offset);
}

async function replaceLine(doc: vscode.TextDocument, line: number, text: string): Promise<void> {
  const edit = new vscode.WorkspaceEdit();
  edit.replace(doc.uri, doc.lineAt(line).range, text);
  assert.ok(await vscode.workspace.applyEdit(edit));
  assert.ok(await doc.save(), 'saved');
}

function waitForValidator(
  service: CertificateService,
  what: string,
  pred: (s: WorkspaceValidatorState) => boolean,
  timeoutMs = 20_000,
): Promise<WorkspaceValidatorState> {
  return waitFor(
    `the validator to be ${what} (it is ${service.workspaceValidator.status})`,
    () => (pred(service.workspaceValidator) ? service.workspaceValidator : undefined),
    timeoutMs,
  );
}

describe('Validator authoring', function () {
  this.timeout(180_000);
  const folder = testFixture().workspaceFolder;
  const file = path.join(folder, '.vscode', 'download-validator.ts');
  let doc: vscode.TextDocument;
  let service: CertificateService;
  let server: TestServer;

  before(async () => {
    await setSetting('certificateValidator', undefined);
    const ca = makeCA('Authoring Test CA');
    const leaf = makeLeaf(ca, { hosts: [testFixture().serverHost] });
    server = await startServer({ host: testFixture().serverHost, tls: { cert: leaf.cert, key: leaf.key } });
    server.route('/never.bin', { body: Buffer.from('never downloaded') });
    service = await (await extensionApi()).hooks.certificates();
  });
  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await setSetting('certificateValidator', undefined);
    await server.close();
    fs.rmSync(file, { force: true });
    fs.rmSync(path.join(folder, '.vscode', 'managed-downloads-validator.d.ts'), { force: true });
  });

  it('Create Certificate Validator writes the template and its declarations, sets the setting, opens the file, and the validator loads', async () => {
    const result = await run<{ file: string; declarations: string; created: boolean }>(
      'createCertificateValidator',
      '.vscode/download-validator.ts',
    );
    assert.equal(result?.file, file);
    assert.equal(result?.created, true);
    assert.ok(fs.existsSync(result.declarations), 'the declarations beside it');
    assert.equal(vscode.workspace.getConfiguration('managedDownloads').get('certificateValidator'), '.vscode/download-validator.ts');
    const editor = await waitFor('the validator in the editor', () =>
      vscode.window.visibleTextEditors.find((e) => e.document.uri.fsPath === file),
    );
    doc = editor.document;
    await waitForValidator(service, 'loaded', (s) => s.status === 'loaded' && s.file === file);
  });

  it('the TypeScript language service resolves the helper module: hover shows its types, completion lists its exports, and the file has no diagnostics', async () => {
    // The language service starts on demand; the first answer can take a while on a busy machine.
    const hover = await waitFor(
      'a typed hover on pinSet',
      async () => {
        const text = hoverText(
          await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, positionOf(doc, 'pinSet({', 2)),
        );
        return /PinSetOptions/.test(text) ? text : undefined;
      },
      120_000,
    );
    assert.match(hover, /pinSet\(options: PinSetOptions\): PinSet/);
    assert.match(hover, /SPKI pins for hosts/, 'the documentation comes along');
    const backup = hoverText(
      await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, positionOf(doc, 'backupPins:', 2)),
    );
    assert.match(backup, /PinSetOptions\.backupPins: readonly \[`sha256\/\$\{string\}`, \.\.\.`sha256\/\$\{string\}`\[\]\]/);
    assert.match(backup, /Required: pins of keys held in reserve/);

    // Inside the import braces the completion offers the module's exports, including those not imported yet.
    const completions = await vscode.commands.executeCommand<vscode.CompletionList>(
      'vscode.executeCompletionItemProvider',
      doc.uri,
      positionOf(doc, 'certificatePolicy,'),
    );
    const labels = completions.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    for (const name of ['hostMatches', 'checkPins', 'verifyChain', 'log', 'S_OK'])
      assert.ok(labels.includes(name), `completion offers ${name} (got ${labels.slice(0, 40).join(', ')})`);

    // No diagnostics from the language service or from the validator's compiler, for a few seconds after it answered.
    for (let i = 0; i < 10; i++) {
      const all = vscode.languages.getDiagnostics(doc.uri).filter((d) => d.severity <= vscode.DiagnosticSeverity.Warning);
      assert.deepEqual(
        all.map((d) => `${d.range.start.line + 1}: ${d.message}`),
        [],
      );
      await letTimePass(300); // on purpose: a late diagnostic would show within these few seconds
    }
  });

  it('a syntax error saved into the file shows a diagnostic at its line and unloads the validator; mending it removes the diagnostic and reloads the validator', async () => {
    const loaded = service.workspaceValidator;
    assert.equal(loaded.status, 'loaded');
    const line = positionOf(doc, 'expires:').line;
    const original = doc.lineAt(line).text;
    await replaceLine(doc, line, '    expires: ,');
    await waitForValidator(service, 'unloaded by the compile error', (s) => s.status === 'compile-error');
    const [broken] = await waitFor('our diagnostic', () => ours(doc.uri)[0] && ours(doc.uri));
    assert.equal(broken.range.start.line, line, `at the broken line ${line + 1}: ${broken.message}`);
    assert.equal(broken.severity, vscode.DiagnosticSeverity.Error);
    assert.match(broken.message, /Unexpected ","/);

    await replaceLine(doc, line, original);
    const reloaded = await waitForValidator(service, 'loaded again', (s) => s.status === 'loaded');
    assert.ok(
      reloaded.status === 'loaded' && loaded.status === 'loaded' && reloaded.validator !== loaded.validator,
      'a new validator instance (recompiled and reloaded)',
    );
    await waitFor('our diagnostics to go', () => ours(doc.uri).length === 0);
  });

  it('a pin set without its backup pin does not load: the diagnostic is at the pinSet call, with the reason', async () => {
    const line = positionOf(doc, 'backupPins:').line;
    const original = doc.lineAt(line).text;
    await replaceLine(doc, line, '');
    await waitForValidator(service, 'refused at load', (s) => s.status === 'compile-error');
    const [problem] = await waitFor('our diagnostic', () => ours(doc.uri)[0] && ours(doc.uri));
    assert.equal(problem.range.start.line, positionOf(doc, 'pinSet({').line, problem.message);
    assert.match(problem.message, /has no backup pin/);
    await replaceLine(doc, line, original);
    await waitForValidator(service, 'loaded again', (s) => s.status === 'loaded');
    await waitFor('our diagnostics to go', () => ours(doc.uri).length === 0);
  });

  it('Test Certificate Validator on URL checks a server on 127.0.0.2 with the workspace validator, shows the report, and sends no request', async () => {
    const url = server.url('/never.bin');
    const refused = await run<DryRunReport>('testCertificateValidator', url, { show: 'none' });
    assert.equal(refused?.phase1.passed, false, 'the test CA is unknown to phase 1');
    assert.equal(refused.validator.status, 'not-called');

    const report = await run<DryRunReport>('testCertificateValidator', url, { securityFlags: 0x8, show: 'preview' });
    assert.equal(report?.host, testFixture().serverHost);
    assert.deepEqual(
      report.phase1.relaxed.map((r) => r.check),
      ['chain'],
    );
    assert.equal(report.validator.status, 'ran');
    assert.ok(report.validator.status === 'ran' && report.validator.verdict === 'decline', JSON.stringify(report.validator));
    assert.match(report.validator.status === 'ran' ? report.validator.reason : '', /no rule of this validator vouches for this host/);
    assert.equal(report.chain[0].subject, `CN=${testFixture().serverHost}, O=Managed Downloads Tests`);
    assert.equal(server.requestsFor('/never.bin').length, 0, 'nothing was requested');
    const shown = await waitFor('the report document', () =>
      vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'managed-downloads-certificate-check'),
    );
    assert.match(shown.getText(), /## Phase 2, the validator: declined/);
    assert.match(shown.getText(), /SPKI sha256 \(pin\):\*\* `sha256\//);
  });
});
