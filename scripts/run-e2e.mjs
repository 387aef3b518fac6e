// The e2e suite: a person's path through the packaged extension. Packages the .vsix, installs it with
// `code-server --install-extension` into a fresh extensions folder before the server starts, starts the
// demo HTTPS server and code-server (no test driver: what a user gets), and drives Chromium through
// the scenarios in test/e2e/scenarios (loaded with tsx). Screenshots go to test-results/e2e-<time>/.
//
// usage: node scripts/run-e2e.mjs [--filter SCENARIO] [--untrusted]
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { tsImport } from 'tsx/esm/api';
import { launchChromium } from './lib/chromium.mjs';
import { exitAfterCleanup, installCleanupHandlers, onCleanup } from './lib/cleanup.mjs';
import { installExtension, startCodeServer } from './lib/code-server.mjs';
import { startDemoServerProcess } from './lib/demo-server.mjs';
import { repoRoot, resultsDir, seconds } from './lib/paths.mjs';
import { realVsCodeTools } from './lib/tools.mjs';
import { describeSize, packageVsix } from './lib/vsix.mjs';

const { values: args } = parseArgs({ options: { filter: { type: 'string' }, untrusted: { type: 'boolean' } } });
installCleanupHandlers();
const started = Date.now();
const lap = (message) => console.log(`[e2e ${seconds(started)}s] ${message}`);
const results = resultsDir('e2e');
lap(`screenshots and logs: ${results}`);

const tools = realVsCodeTools();
const scratch = mkdtempSync(join(tmpdir(), 'md-e2e-'));
onCleanup(() => rmSync(scratch, { recursive: true, force: true }));
let passed = 0;
let failed = 0;
const report = (ok, name, detail = '') => {
  if (ok) passed++;
  else failed++;
  console.log(`  ${ok ? 'ok' : 'not ok'} - ${name}${detail ? `: ${detail}` : ''}`);
};

const packaged = packageVsix({ outFile: join(scratch, 'managed-downloads.vsix') });
lap(`packaged ${describeSize(packaged.bytes)} .vsix (${packaged.files} files)`);
const userDataDir = join(scratch, 'user-data');
const extensionsDir = join(scratch, 'extensions');
const installed = installExtension(tools, { vsix: packaged.vsix, extensionsDir, userDataDir });
lap(`installed into ${installed}`);

// What a user gets from the .vsix: no vsce warning, a README whose images are files inside the package and
// that has no developers' note, and nothing the extension does not load (the CLI, source maps).
// (VS Code's extension page itself shows only https images: see CONTRIBUTING.md, Packaging.)
report(packaged.warnings.length === 0, 'vsce packages the .vsix without a warning', packaged.warnings.join('; '));
const readmeName = readdirSync(installed).find((name) => name.toLowerCase() === 'readme.md') ?? 'README.md'; // vsce lower-cases it
const installedReadme = existsSync(join(installed, readmeName)) ? readFileSync(join(installed, readmeName), 'utf8') : '';
const images = [...installedReadme.matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]);
const missingImages = images.filter((src) => /^[a-z]+:/i.test(src) || !existsSync(join(installed, src)));
report(
  images.length > 0 && missingImages.length === 0 && !installedReadme.includes('<!-- developers -->'),
  "the installed README's screenshots are files inside the extension, and it has no developers' note",
  `${images.length} images${missingImages.length ? `; not inside the package: ${missingImages.join(', ')}` : ''}`,
);
const notLoaded = ['dist/cli.js', 'dist/extension.js.map', 'src', 'test', 'scripts'].filter((p) => existsSync(join(installed, p)));
report(notLoaded.length === 0, 'the installed extension holds no CLI, source maps or sources', notLoaded.join(', '));

// The validator is compiled at run time by the esbuild the .vsix carries: prove it runs where installed.
const esbuildCheck = spawnSync(
  tools.node24,
  [
    '-e',
    `
  const esbuild = require(${JSON.stringify(join(installed, 'node_modules', 'esbuild'))});
  const out = esbuild.transformSync('const n: number = 1; export default n;', { loader: 'ts', format: 'cjs' });
  if (!out.code.includes('n = 1')) throw new Error(out.code);
  console.log(esbuild.version);`,
  ],
  { encoding: 'utf8' },
);
report(
  esbuildCheck.status === 0,
  'the installed .vsix carries an esbuild that compiles TypeScript on Node 24',
  esbuildCheck.status === 0 ? `esbuild ${esbuildCheck.stdout.trim()}` : esbuildCheck.stderr.trim(),
);

const demo = await startDemoServerProcess({ quiet: true });
lap(`demo server at ${demo.origin}`);

const workspace = join(scratch, 'workspace');
cpSync(join(repoRoot, 'test', 'e2e', 'workspace'), workspace, { recursive: true });
const settingsFile = join(workspace, '.vscode', 'settings.json');
const settings = JSON.parse(readFileSync(settingsFile, 'utf8'));
writeFileSync(settingsFile, JSON.stringify({ ...settings, 'managedDownloads.extraCaFiles': [demo.caFile] }, null, 2) + '\n');

const server = await startCodeServer(tools, {
  workspace,
  trusted: !args.untrusted,
  userDataDir,
  extensionsDir,
  logFile: join(results, 'code-server.log'),
});
lap(`code-server at ${server.url}`);
const chromium = await launchChromium(tools);
await chromium.page.close(); // each scenario opens its own page

const { runScenarios } = await tsImport(join(repoRoot, 'test', 'e2e', 'main.ts'), import.meta.url);
const outcome = await runScenarios({
  browser: chromium.browser,
  shotsRoot: results,
  workbenchUrl: server.folderUrl,
  workspaceFolder: workspace,
  installedExtension: installed,
  demo: { origin: demo.origin, caFile: demo.caFile, files: demo.files },
  filter: args.filter,
  log: (line) => console.log(line),
});
passed += outcome.passed;
failed += outcome.failed;
if (failed > 0) cpSync(join(userDataDir, 'logs'), join(results, 'vscode-logs'), { recursive: true, force: true });

console.log(`\ne2e (packaged .vsix in code-server, driven through Chromium): ${passed} passed, ${failed} failed (${seconds(started)} s)`);
console.log(`screenshots: ${results}`);
await exitAfterCleanup(failed > 0 ? 1 : 0);
