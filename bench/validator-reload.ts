// Scenario 5 of issue 8, the validator row: from a validator file saved to the new validator effective.
// Drives the WorkspaceValidatorController that the extension and the CLI share (fs.watch on the file and
// its imports, esbuild compile, a fresh worker), with edits saved the way editors save (write a new file,
// rename it over the old one), alternating between a file it imports alone and both files. Each reload
// is confirmed by a real connection through the gate whose decline names the new version.
// Run by bench/scenarios/validator-reload.mjs: `tsx bench/validator-reload.ts PORT CA_FILE SAVES SCRATCH_DIR`;
// prints { reloadMs: number[] } (save to the service holding the new validator, per save).
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchJob } from './lib/bench-job';
import { GatedConnectionProvider } from '../src/core/net/connection-provider';
import type { GatedAgent } from '../src/core/net/gated-agent';
import { CertificateService } from '../src/core/tls/service';
import { WorkspaceValidatorController } from '../src/validator/workspace-validator';

const [port, caFile, saves, scratch] = [Number(process.argv[2]), process.argv[3], Number(process.argv[4] ?? 10), process.argv[5]];
const job = benchJob('reload', 'workspace');

mkdirSync(scratch, { recursive: true });
const mainFile = join(scratch, 'reload-validator.ts');
const importedFile = join(scratch, 'reload-version.ts');

/** Saves like an editor: a new file renamed over the old one. */
function save(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}
const mainText = (marker: number) =>
  `import { VERSION } from './reload-version';\n// edit ${marker}\nexport default function validate() {\n  return { code: 0x80070005, reason: 'validator ' + VERSION };\n}\n`;
const importedText = (version: string) => `export const VERSION = '${version}';\n`;

const service = new CertificateService({ trust: { extraCaFiles: [caFile] } });
const provider = new GatedConnectionProvider(service);
const controller = new WorkspaceValidatorController(service);

/** The reason the validator gives now, through a real connection (the validator declines on purpose). */
async function currentReason(): Promise<string> {
  service.clearCache(job.id);
  try {
    const socket = await provider.open(provider.agentFor(job, 'https:') as GatedAgent, { host: '127.0.0.1', port });
    socket.destroy();
    return 'accepted';
  } catch (e) {
    return (e as Error).message;
  }
}

function nextLoad(): Promise<void> {
  return new Promise((resolve) => {
    const subscription = service.onDidChangeWorkspaceValidator((state) => {
      if (state.status === 'loaded') {
        subscription.dispose();
        resolve();
      }
    });
  });
}

async function main(): Promise<void> {
  const keepAlive = setInterval(() => undefined, 1000); // the worker is unref'd
  save(importedFile, importedText('v0'));
  save(mainFile, mainText(0));
  const first = await controller.configure({ file: mainFile, trusted: true });
  if (first.status !== 'loaded') throw new Error(`the bench validator did not load: ${JSON.stringify(first)}`);
  const reloadMs: number[] = [];
  let version = 'v0';
  for (let i = 1; i <= saves; i++) {
    // Let the watcher settle between saves, as a person's saves are seconds apart.
    await new Promise((r) => setTimeout(r, 300));
    version = `v${i}`;
    const loaded = nextLoad();
    const started = process.hrtime.bigint();
    if (i % 2) save(importedFile, importedText(version));
    else {
      save(importedFile, importedText(version));
      save(mainFile, mainText(i));
    }
    await loaded;
    reloadMs.push(Number(process.hrtime.bigint() - started) / 1e6);
    const reason = await currentReason();
    if (!reason.includes(`validator ${version}`))
      throw new Error(`after save ${i} the gate still answers with the old validator: ${reason}`);
  }
  controller.dispose();
  clearInterval(keepAlive);
  provider.dispose();
  await service.dispose();
  console.log(JSON.stringify({ reloadMs }));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
