// Validator save-to-effective latency inside VS Code: the workspace validator named by the setting
// managedDownloads.certificateValidator is edited in a VS Code editor (a changed constant) and saved through
// VS Code's own save, and the clock runs until the extension's certificate service holds the new validator
// (its 'loaded' event). Each reload is then confirmed, outside the clock, by a real TLS connection through
// the gate whose decline names the new version.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { SecurityFlags, type JobRecord } from '../../src/core/model/job';
import { benchJob } from '../lib/bench-job';
import { GatedConnectionProvider } from '../../src/core/net/connection-provider';
import type { GatedAgent } from '../../src/core/net/gated-agent';
import type { CertificateService } from '../../src/core/tls/service';
import type { InternalTestingHooks } from '../../src/ui/testing';
import { makeCA, makeLeaf } from '../../test/support/certs';
import { startServer } from '../../test/support/servers';

export const VALIDATOR_FILE = 'bench-validator.ts';

/** The validator declines on purpose, naming its version, so a connection shows which one answered. */
export function validatorText(version: number): string {
  return `const VERSION = ${version};\nexport default function validate() {\n  return { code: 0x80070005, reason: 'bench validator v' + VERSION };\n}\n`;
}

function gateJob(): JobRecord {
  // The CA is made now and not trusted: phase 1 lets it pass so that phase 2 (the validator) decides.
  return benchJob('validator-gate', 'workspace', SecurityFlags.IGNORE_UNKNOWN_CA);
}

function nextLoaded(service: CertificateService): Promise<number> {
  return new Promise((resolve) => {
    const subscription = service.onDidChangeWorkspaceValidator((state) => {
      if (state.status === 'loaded') {
        subscription.dispose();
        resolve(performance.now());
      }
    });
  });
}

async function waitLoaded(service: CertificateService, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (service.workspaceValidator.status !== 'loaded') {
    if (Date.now() > deadline) throw new Error(`the workspace validator did not load: ${JSON.stringify(service.workspaceValidator)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface ReloadFigures {
  /** From the start of VS Code's save to the new validator loaded, per save. */
  saveToEffectiveMs: number[];
  /** How long VS Code's save itself took (document.save()), per save. */
  saveMs: number[];
}

export async function measureValidatorReload(
  hooks: InternalTestingHooks,
  workspaceFolder: string,
  serverHost: string,
  saves: number,
): Promise<ReloadFigures> {
  const ca = makeCA('Bench Extension CA');
  const leaf = makeLeaf(ca, { hosts: [serverHost] });
  const server = await startServer({ host: serverHost, tls: { cert: leaf.cert + ca.cert, key: leaf.key } });
  const service = await hooks.certificates();
  const provider = new GatedConnectionProvider(service);
  const job = gateJob();
  const port = Number(new URL(server.origin).port);

  const currentReason = async () => {
    service.clearCache(job.id);
    try {
      const socket = await provider.open(provider.agentFor(job, 'https:') as GatedAgent, { host: serverHost, port });
      socket.destroy();
      return 'accepted';
    } catch (e) {
      return (e as Error).message;
    }
  };

  const file = path.join(workspaceFolder, VALIDATOR_FILE);
  try {
    await vscode.workspace
      .getConfiguration('managedDownloads')
      .update('certificateValidator', VALIDATOR_FILE, vscode.ConfigurationTarget.Workspace);
    await waitLoaded(service, 60_000);
    const first = await currentReason();
    if (!first.includes('bench validator v0')) throw new Error(`the first validator does not answer: ${first}`);

    const document = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    await vscode.window.showTextDocument(document);
    const figures: ReloadFigures = { saveToEffectiveMs: [], saveMs: [] };
    for (let version = 1; version <= saves; version++) {
      // A person's saves are seconds apart; let the watcher and the last worker settle.
      await new Promise((r) => setTimeout(r, 500));
      const edit = new vscode.WorkspaceEdit();
      const line = document.lineAt(0);
      edit.replace(document.uri, line.range, `const VERSION = ${version};`);
      if (!(await vscode.workspace.applyEdit(edit))) throw new Error('VS Code refused the edit of the validator');
      const loaded = nextLoaded(service);
      const started = performance.now();
      if (!(await document.save())) throw new Error('VS Code did not save the validator');
      figures.saveMs.push(performance.now() - started);
      const effective = await Promise.race([loaded, new Promise<undefined>((r) => setTimeout(() => r(undefined), 30_000))]);
      if (effective === undefined) throw new Error(`save ${version}: the validator did not reload within 30 s`);
      figures.saveToEffectiveMs.push(effective - started);
      const reason = await currentReason();
      if (!reason.includes(`bench validator v${version}`))
        throw new Error(`after save ${version} the gate still answers with the old validator: ${reason}`);
    }
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    return figures;
  } finally {
    await vscode.workspace
      .getConfiguration('managedDownloads')
      .update('certificateValidator', undefined, vscode.ConfigurationTarget.Workspace);
    provider.dispose();
    await server.close();
  }
}
