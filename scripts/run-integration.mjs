// The integration suite inside a real VS Code: code-server (Node 24 extension host) with the smoke-test
// driver, opened by headless Chromium with [extensionDevelopmentPath, extensionTestsPath] in the payload.
// VS Code loads this checkout as the extension under development and calls run() of
// test/integration/index.ts in the extension host; run() writes per-test lines and `N passed, N failed`
// to a results file, which this script prints as it grows. Each suite folder (test/integration/suite,
// test/integration/untrusted) gets one code-server start, in the trust mode it needs.
//
// usage: node scripts/run-integration.mjs [--suite trusted|untrusted] [--grep PATTERN]
//   MANAGED_DOWNLOADS_INTEGRATION_TIMEOUT_S  whole-suite time limit (default 600)
//   MANAGED_DOWNLOADS_TEST_TIMEOUT_MS        mocha's per-test timeout (default 30000)
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildExtension, compileIntegrationTests, integrationSuites } from './lib/build.mjs';
import { launchChromium } from './lib/chromium.mjs';
import { exitAfterCleanup, installCleanupHandlers, onCleanup } from './lib/cleanup.mjs';
import { startCodeServer } from './lib/code-server.mjs';
import { repoRoot, resultsDir, seconds } from './lib/paths.mjs';
import { realVsCodeTools } from './lib/tools.mjs';

const FIXTURE_ENV = 'MANAGED_DOWNLOADS_TEST_FIXTURE'; // read by test/integration/fixture.ts
const suiteTimeoutMs = Number(process.env.MANAGED_DOWNLOADS_INTEGRATION_TIMEOUT_S ?? 600) * 1000;
const testTimeoutMs = Number(process.env.MANAGED_DOWNLOADS_TEST_TIMEOUT_MS ?? 30000);
const SUMMARY = /^(\d+) passed, (\d+) failed$/;

const { values: args } = parseArgs({ options: { suite: { type: 'string' }, grep: { type: 'string' } } });
if (args.suite && !integrationSuites[args.suite]) {
  console.error(`unknown --suite ${args.suite}; known: ${Object.keys(integrationSuites).join(', ')}`);
  process.exit(2);
}

installCleanupHandlers();
const started = Date.now();
const lap = (message) => console.log(`[integration ${seconds(started)}s] ${message}`);

const tools = realVsCodeTools();
buildExtension();
// Per-run folders, so two people running the suite in one checkout do not delete each other's files.
const runName = `run-${process.pid}-${Date.now()}`;
const compiledDir = join(repoRoot, 'out', 'integration', runName);
onCleanup(() => rmSync(compiledDir, { recursive: true, force: true }));
const compiled = await compileIntegrationTests(compiledDir);
const scratchRoot = mkdtempSync(join(tmpdir(), 'md-integration-'));
onCleanup(() => rmSync(scratchRoot, { recursive: true, force: true }));
const results = resultsDir('integration');
lap(`extension built, tests compiled; logs go to ${results}`);

/** Prints new complete lines of `file` as they appear; returns a function that prints the rest and stops. */
function follow(file, print) {
  let printed = 0;
  const poll = () => {
    if (!existsSync(file)) return;
    const text = readFileSync(file, 'utf8');
    const end = text.lastIndexOf('\n') + 1;
    if (end > printed) {
      for (const line of text.slice(printed, end - 1).split('\n')) print(line);
      printed = end;
    }
  };
  const timer = setInterval(poll, 250);
  return () => {
    clearInterval(timer);
    poll();
  };
}

async function runSuite(name, suite, files) {
  const dir = join(scratchRoot, name);
  const workspace = join(dir, 'workspace');
  const scratchDir = join(dir, 'scratch');
  mkdirSync(scratchDir, { recursive: true });
  cpSync(join(repoRoot, 'test', 'integration', 'workspace'), workspace, { recursive: true });
  const resultsFile = join(results, `${name}-results.txt`);
  const fixtureFile = join(dir, 'fixture.json');
  writeFileSync(
    fixtureFile,
    JSON.stringify(
      {
        runner: 'code-server',
        suite: name,
        suiteFiles: files,
        workspaceFolder: workspace,
        trusted: suite.trusted,
        resultsFile,
        scratchDir,
        serverHost: '127.0.0.2',
        testTimeoutMs,
        grep: args.grep,
      },
      null,
      2,
    ),
  );

  lap(
    `${name}: starting code-server (${suite.trusted ? 'workspace trusted' : 'workspace trust on, folder untrusted'}) for ${files.map((f) => basename(f)).join(', ')}`,
  );
  const server = await startCodeServer(tools, {
    workspace,
    trusted: suite.trusted,
    smokeTestDriver: true,
    env: { [FIXTURE_ENV]: fixtureFile },
    userDataDir: join(dir, 'user-data'),
    extensionsDir: join(dir, 'extensions'),
    logFile: join(results, `${name}-code-server.log`),
  });
  lap(`${name}: code-server up at ${server.url}`);
  const browser = await launchChromium(tools);
  const consoleLog = createWriteStream(join(results, `${name}-browser-console.log`));
  browser.page.on('console', (m) => consoleLog.write(`[${m.type()}] ${m.text()}\n`));
  browser.page.on('pageerror', (e) => consoleLog.write(`[pageerror] ${e.message}\n`));
  const exited = new Promise((resolve) => {
    void browser.page.exposeFunction('codeAutomationExit', (code) => resolve({ code }));
  });
  const remote = (path) => `vscode-remote://remote${path}`;
  const payload = JSON.stringify([
    ['extensionDevelopmentPath', remote(repoRoot)],
    ['extensionTestsPath', remote(compiled.index)],
  ]);
  const stopFollowing = follow(resultsFile, (line) => console.log(`  ${line}`));
  await browser.page.goto(`${server.folderUrl}&payload=${encodeURIComponent(payload)}`);
  let timer;
  const outcome = await Promise.race([
    exited,
    new Promise((resolve) => {
      timer = setTimeout(() => resolve({ timedOut: true }), suiteTimeoutMs);
    }),
  ]);
  clearTimeout(timer);
  stopFollowing();
  if (outcome.timedOut) {
    await browser.page.screenshot({ path: join(results, `${name}-timeout.png`) }).catch(() => {});
  }
  await browser.close();
  consoleLog.end();
  await server.stop();

  const lines = existsSync(resultsFile) ? readFileSync(resultsFile, 'utf8').trim().split('\n') : [];
  const summary = lines
    .map((l) => SUMMARY.exec(l))
    .filter(Boolean)
    .at(-1);
  // Without a summary (a hang or a crash) count the lines written so far; the missing end is one more failure.
  const passed = summary ? Number(summary[1]) : lines.filter((l) => l.startsWith('ok - ')).length;
  const failed = summary ? Number(summary[2]) : lines.filter((l) => l.startsWith('not ok - ')).length;
  let problem;
  if (outcome.timedOut) problem = `timed out after ${suiteTimeoutMs / 1000} s without VS Code reporting an end (codeAutomationExit)`;
  else if (!summary) problem = `VS Code ended the run (exit ${outcome.code}) without a summary line: run() failed before reporting`;
  else if (outcome.code !== 0 && failed === 0) problem = `run() reported no failure but VS Code exited with ${outcome.code}`;
  if (problem || failed > 0) {
    cpSync(join(server.userDataDir, 'logs'), join(results, `${name}-vscode-logs`), { recursive: true, force: true });
  }
  if (problem) console.log(`  ${name}: ${problem}; see ${results}`);
  lap(`${name}: ${passed} passed, ${failed + (problem ? 1 : 0)} failed${problem ? ' (counting the run that did not end)' : ''}`);
  return { passed, failed: failed + (problem ? 1 : 0) };
}

let passed = 0;
let failed = 0;
for (const [name, suite] of Object.entries(integrationSuites)) {
  if (args.suite && args.suite !== name) continue;
  const files = compiled.suites[name];
  if (files.length === 0) continue;
  const r = await runSuite(name, suite, files);
  passed += r.passed;
  failed += r.failed;
}
if (passed + failed === 0) {
  console.log('no integration test files found');
  failed = 1;
}
console.log(`\nintegration (inside VS Code): ${passed} passed, ${failed} failed (${seconds(started)} s; logs: ${results})`);
await exitAfterCleanup(failed > 0 ? 1 : 0);
