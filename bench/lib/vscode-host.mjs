// Runs bench/extension-host (a tests module) inside a real VS Code: code-server with the smoke-test driver,
// opened by headless Chromium with [extensionDevelopmentPath, extensionTestsPath] in the payload, as
// scripts/run-integration.mjs does for the integration suite. Reuses that rig (scripts/lib).
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { extensionHostModuleOptions } from '../../scripts/lib/build.mjs';
import { launchChromium } from '../../scripts/lib/chromium.mjs';
import { startCodeServer } from '../../scripts/lib/code-server.mjs';

export const BENCH_FIXTURE_ENV = 'MANAGED_DOWNLOADS_BENCH_FIXTURE'; // read by bench/extension-host/index.ts

/** Bundles bench/extension-host/index.ts for the extension host (packages stay requires from node_modules). */
export async function compileHostModule(repoRoot, outDir) {
  rmSync(outDir, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: [join(repoRoot, 'bench/extension-host/index.ts')],
    outdir: outDir,
    ...extensionHostModuleOptions,
  });
  return join(outDir, 'index.js');
}

/**
 * One code-server start: opens `workspace`, lets VS Code call run() of `hostModule`, waits for the end
 * (codeAutomationExit) and stops everything. Returns the JSON run() wrote to the fixture's resultsFile.
 */
export async function runInVsCode(
  tools,
  { repoRoot, hostModule, workspace, port, userDataDir, extensionsDir, fixtureFile, resultsFile, logFile, limitMs, env = {} },
) {
  rmSync(resultsFile, { force: true });
  const server = await startCodeServer(tools, {
    workspace,
    port,
    trusted: true,
    smokeTestDriver: true,
    env: { ...env, [BENCH_FIXTURE_ENV]: fixtureFile },
    userDataDir,
    extensionsDir,
    logFile,
  });
  let browser;
  try {
    browser = await launchChromium(tools);
    const exited = new Promise((resolve) => void browser.page.exposeFunction('codeAutomationExit', (code) => resolve({ code })));
    const remote = (path) => `vscode-remote://remote${path}`;
    const payload = JSON.stringify([
      ['extensionDevelopmentPath', remote(repoRoot)],
      ['extensionTestsPath', remote(hostModule)],
    ]);
    await browser.page.goto(`${server.folderUrl}&payload=${encodeURIComponent(payload)}`);
    let timer;
    const outcome = await Promise.race([
      exited,
      new Promise((resolve) => (timer = setTimeout(() => resolve({ timedOut: true }), limitMs))),
    ]);
    clearTimeout(timer);
    if (outcome.timedOut) throw new Error(`VS Code did not end the bench run within ${limitMs / 1000} s (code-server log: ${logFile})`);
  } finally {
    await browser?.close();
    await server.stop();
  }
  if (!existsSync(resultsFile)) throw new Error('the bench run in VS Code ended without writing its results');
  const result = JSON.parse(readFileSync(resultsFile, 'utf8'));
  if (result.error) throw new Error(`in the extension host: ${result.error.split('\n').slice(0, 3).join(' / ')}`);
  return { ...result, hostLog: activationFromLogs(userDataDir) };
}

const STAMP = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) /;
function stampOf(line) {
  const m = line && STAMP.exec(line);
  return m ? new Date(m[1].replace(' ', 'T')).getTime() : undefined;
}

/**
 * From the newest VS Code session's logs (one logs/<time> folder per code-server start): when the extension
 * host started, when VS Code began activating the extension (code loading included) and when the
 * extension logged the end of activate(). Millisecond stamps of one clock; only differences are used.
 */
export function activationFromLogs(userDataDir) {
  const logsRoot = join(userDataDir, 'logs');
  if (!existsSync(logsRoot)) return {};
  const sessions = readdirSync(logsRoot)
    .map((n) => join(logsRoot, n))
    .filter((p) => statSync(p).isDirectory())
    .sort();
  const session = sessions.at(-1);
  for (const host of readdirSync(session)
    .filter((n) => n.startsWith('exthost'))
    .sort()) {
    const ours = join(session, host, 'managed-downloads.managed-downloads', 'Managed Downloads.log');
    const hostLog = join(session, host, 'remoteexthost.log');
    if (!existsSync(ours) || !existsSync(hostLog)) continue;
    const hostLines = readFileSync(hostLog, 'utf8').split('\n');
    const started = stampOf(hostLines.find((l) => /Extension host with pid \d+ started/.test(l)));
    const activating = hostLines.find((l) => l.includes('_doActivateExtension managed-downloads.managed-downloads'));
    const activated = stampOf(
      readFileSync(ours, 'utf8')
        .split('\n')
        .find((l) => l.includes('[Extension] activated')),
    );
    return {
      hostStartToActivatedMs: started !== undefined && activated !== undefined ? activated - started : undefined,
      activatingToActivatedMs: activating && activated !== undefined ? activated - stampOf(activating) : undefined,
      activationEvent: /activationEvent: '([^']+)'/.exec(activating ?? '')?.[1],
    };
  }
  return {};
}
