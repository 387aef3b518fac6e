// The same integration suites under @vscode/test-electron, for machines that can download desktop VS Code
// from Microsoft (`npm run test:electron`; not part of `npm test`). Same compiled test files, same
// fixture file, same results lines as scripts/run-integration.mjs.
//
//   VSCODE_EXECUTABLE_PATH  use this VS Code instead of downloading one
//   VSCODE_VERSION          the version to download (default: stable)
import { lookup } from 'node:dns/promises';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downloadAndUnzipVSCode, runTests } from '@vscode/test-electron';
import { buildExtension, compileIntegrationTests, integrationSuites } from '../../scripts/lib/build.mjs';
import { repoRoot, resultsDir } from '../../scripts/lib/paths.mjs';

const FIXTURE_ENV = 'MANAGED_DOWNLOADS_TEST_FIXTURE';
const UPDATE_HOST = 'update.code.visualstudio.com';

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000} s`)), ms);
    }),
  ]);
}

function networkHelp(cause) {
  return [
    `npm run test:electron needs a desktop VS Code, and could not get one: ${cause}`,
    `It downloads VS Code from ${UPDATE_HOST}, which this machine cannot reach.`,
    'Either run the same suites inside code-server, which works offline once installed: npm run test:integration',
    'or point at a VS Code you have: VSCODE_EXECUTABLE_PATH=/path/to/code npm run test:electron',
  ].join('\n');
}

async function vsCodeExecutable() {
  if (process.env.VSCODE_EXECUTABLE_PATH) return process.env.VSCODE_EXECUTABLE_PATH;
  // Fail in seconds with a clear message rather than hang on a network that is not there.
  try {
    await withTimeout(lookup(UPDATE_HOST), 10000, `resolving ${UPDATE_HOST}`);
  } catch (e) {
    throw new Error(networkHelp(e instanceof Error ? e.message : String(e)));
  }
  try {
    return await withTimeout(
      downloadAndUnzipVSCode({
        version: process.env.VSCODE_VERSION ?? 'stable',
        cachePath: join(repoRoot, '.vscode-test'),
        timeout: 30000,
      }),
      600000,
      'downloading VS Code',
    );
  } catch (e) {
    throw new Error(networkHelp(e instanceof Error ? e.message : String(e)));
  }
}

async function main() {
  let executable;
  try {
    executable = await vsCodeExecutable();
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    return 1;
  }
  buildExtension();
  const compiledDir = join(repoRoot, 'out', 'integration', `electron-${process.pid}-${Date.now()}`);
  const scratch = mkdtempSync(join(tmpdir(), 'md-electron-'));
  const results = resultsDir('electron');
  try {
    const compiled = await compileIntegrationTests(compiledDir);
    let failed = 0;
    let passed = 0;
    for (const [name, suite] of Object.entries(integrationSuites)) {
      const files = compiled.suites[name];
      if (files.length === 0) continue;
      const workspace = join(scratch, name, 'workspace');
      const scratchDir = join(scratch, name, 'scratch');
      mkdirSync(scratchDir, { recursive: true });
      cpSync(join(repoRoot, 'test', 'integration', 'workspace'), workspace, { recursive: true });
      const resultsFile = join(results, `${name}-results.txt`);
      const fixtureFile = join(scratch, name, 'fixture.json');
      writeFileSync(
        fixtureFile,
        JSON.stringify(
          {
            runner: 'electron',
            suite: name,
            suiteFiles: files,
            workspaceFolder: workspace,
            trusted: suite.trusted,
            resultsFile,
            scratchDir,
            serverHost: '127.0.0.2',
            testTimeoutMs: Number(process.env.MANAGED_DOWNLOADS_TEST_TIMEOUT_MS ?? 30000),
          },
          null,
          2,
        ),
      );
      const launchArgs = [workspace, '--disable-extensions', '--user-data-dir', join(scratch, name, 'user-data')];
      if (suite.trusted) launchArgs.push('--disable-workspace-trust');
      console.log(`electron: ${name} suite`);
      let exitCode;
      try {
        exitCode = await runTests({
          vscodeExecutablePath: executable,
          extensionDevelopmentPath: repoRoot,
          extensionTestsPath: compiled.index,
          launchArgs,
          extensionTestsEnv: { [FIXTURE_ENV]: fixtureFile },
        });
      } catch (e) {
        exitCode = 1;
        console.error(`  VS Code reported a failure: ${e instanceof Error ? e.message : e}`);
      }
      const lines = existsSync(resultsFile) ? readFileSync(resultsFile, 'utf8').trim().split('\n') : [];
      for (const line of lines) console.log(`  ${line}`);
      const summary = lines
        .map((l) => /^(\d+) passed, (\d+) failed$/.exec(l))
        .filter(Boolean)
        .at(-1);
      passed += summary ? Number(summary[1]) : 0;
      failed += summary ? Number(summary[2]) : 1;
      if (exitCode !== 0 && (!summary || Number(summary[2]) === 0)) failed++;
    }
    console.log(`\nintegration (desktop VS Code): ${passed} passed, ${failed} failed (results: ${results})`);
    return failed > 0 || passed === 0 ? 1 : 0;
  } finally {
    rmSync(compiledDir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  }
}

process.exitCode = await main();
