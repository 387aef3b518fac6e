// The tests module (extensionTestsPath) of scenario 5 of the bench (issue 8): VS Code loads it into the
// extension host of code-server and calls run(). bench/scenarios/extension-costs.mjs starts code-server twice
// per repetition on one workspace and user-data folder, with a fixture file naming the phase:
//  - 'empty': the store has no job. Activation, host memory with 0 jobs (engine open, view built), then
//    1,000 jobs created through the API (the next phase's store) and memory again, then the validator
//    save-to-effective latency (saved in a VS Code editor).
//  - 'loaded': the same workspace again, its store now holding 1,000 jobs. Activation, memory with the jobs
//    loaded, the Jobs view's full and incremental refresh, and VS Code's own round trips of both.
//  - 'transfer' (bench/scenarios/extension-transfers.mjs, issue 17 point 3): the bench's transfers (1 GiB, 1,000
//    small files) started through the API, each timed to ACKNOWLEDGED (transfer.ts).
// Results go to the fixture's resultsFile as JSON; a failure is written there too (run() then rejects).
import { copyFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { InternalTestingHooks } from '../../src/ui/testing';
import { TEST_HOOKS_COMMAND } from '../../src/ui/testing';
import { measureMemory } from './memory';
import { measureTransfer, type TransferCase } from './transfer';
import { measureTree, measureView } from './tree';

export const BENCH_FIXTURE_ENV = 'MANAGED_DOWNLOADS_BENCH_FIXTURE';
const EXTENSION_ID = 'managed-downloads.managed-downloads';
const JOBS = 1000;

interface BenchFixture {
  phase: 'empty' | 'loaded' | 'transfer';
  transfers?: TransferCase[];
  workspaceFolder: string;
  resultsFile: string;
  serverHost: string;
  saves: number;
}

async function until<T>(what: string, condition: () => T | undefined, limitMs = 60_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = condition();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function jobFiles(storeDir: string): number {
  try {
    return readdirSync(path.join(storeDir, 'jobs')).filter((n) => n.endsWith('.json')).length;
  } catch {
    return 0;
  }
}

/**
 * How long loading the extension's bundle takes (its top level evaluated, activate() not called): a copy of
 * dist/extension.js, required fresh from a folder of the extension so that its `vscode` import resolves.
 */
function timeCodeLoading(extensionPath: string): number {
  const copy = path.join(extensionPath, 'out', 'bench', `extension-load-${process.pid}.js`);
  copyFileSync(path.join(extensionPath, 'dist', 'extension.js'), copy);
  try {
    const started = performance.now();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(copy);
    return performance.now() - started;
  } finally {
    rmSync(copy, { force: true });
  }
}

export async function run(): Promise<void> {
  const fixture = JSON.parse(readFileSync(process.env[BENCH_FIXTURE_ENV] ?? '', 'utf8')) as BenchFixture;
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  const result: Record<string, unknown> = { phase: fixture.phase, vscode: vscode.version, node: process.version };
  try {
    if (!extension) throw new Error(`${EXTENSION_ID} is not loaded (extensionDevelopmentPath not passed?)`);
    // VS Code activates the extension itself (onStartupFinished), often while run() starts: wait without
    // doing any work of our own, so nothing here slows the activation being measured.
    result.activeAtRunStart = extension.isActive;
    await until('VS Code to activate the extension', () => (extension.isActive ? true : undefined));
    await extension.activate();
    // Registered only while VS Code runs the extension under tests (extensionTestsPath), as here.
    const hooks = await vscode.commands.executeCommand<InternalTestingHooks>(TEST_HOOKS_COMMAND);
    result.activationMs = hooks.activationMs;
    result.storeDir = hooks.storeDir;

    const engine = await hooks.engine();
    const client = hooks.apiClientFor('bench.extension-costs');
    result.jobsAtOpen = await until('the model to attach', () => (hooks.model.isAttached ? engine.listJobs().length : undefined));
    hooks.model.flush();

    if (fixture.phase === 'transfer') {
      const transfers = [];
      for (const c of fixture.transfers ?? []) transfers.push(await measureTransfer(hooks, engine, c));
      result.transfers = transfers;
    } else if (fixture.phase === 'empty') {
      hooks.tree.getChildren();
      result.memoryNoJobs = await measureMemory();
      const started = performance.now();
      for (let i = 0; i < JOBS; i++) await client.createJob({ displayName: `bench job ${i}` });
      result.createJobsMs = performance.now() - started;
      await until('the model to hold the jobs', () => (hooks.model.list().length >= JOBS ? true : undefined));
      hooks.model.flush();
      hooks.tree.getChildren();
      result.memoryJobsCreated = await measureMemory();
      // The next phase opens this store: every job must be on disk before VS Code goes.
      await until('the store to hold every job', () => (jobFiles(hooks.storeDir) >= JOBS ? true : undefined));
      // Loaded only now: its certificates come from node-forge, whose loading would otherwise run in the
      // host while VS Code activates the extension and slow the activation being measured.
      const { measureValidatorReload } = await import('./validator.js');
      result.reload = await measureValidatorReload(hooks, fixture.workspaceFolder, fixture.serverHost, fixture.saves);
    } else {
      if ((result.jobsAtOpen as number) < JOBS) throw new Error(`the store holds ${String(result.jobsAtOpen)} jobs, expected ${JOBS}`);
      result.memoryJobsLoaded = await measureMemory(); // the Jobs view not built yet
      const someJob = engine.listJobs()[Math.floor(JOBS / 2)].id;
      result.tree = await measureTree(hooks, engine, someJob);
      result.memoryJobsInView = await measureMemory();
      result.view = await measureView(hooks, engine, client, someJob);
      result.codeLoadingMs = timeCodeLoading(extension.extensionPath);
    }
  } catch (err) {
    result.error = err instanceof Error ? (err.stack ?? err.message) : String(err);
  }
  writeFileSync(fixture.resultsFile, JSON.stringify(result, null, 1));
  if (result.error) throw new Error(String(result.error));
}
