// Builds the extension bundle (esbuild.mjs) and compiles the integration tests for the extension host.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { repoRoot } from './paths.mjs';

/** Runs esbuild.mjs (dist/); `production` passes --production. Throws when the build fails. */
export function buildExtension({ production = false } = {}) {
  const args = [join(repoRoot, 'esbuild.mjs')];
  if (production) args.push('--production');
  const r = spawnSync(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`the extension build (node esbuild.mjs) failed with exit ${r.status}`);
}

/** The integration suites: each a folder of *.test.ts under test/integration, run in its own code-server. */
export const integrationSuites = {
  // Workspace trusted (--disable-workspace-trust): what most tests need.
  trusted: { folder: 'suite', trusted: true },
  // Workspace trust left on, folder untrusted: what restricted mode must (not) do.
  untrusted: { folder: 'untrusted', trusted: false },
};

function testFilesIn(folder) {
  const dir = join(repoRoot, 'test', 'integration', folder);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.test.ts'))
    .sort()
    .map((name) => join(dir, name));
}

/** esbuild options for modules run inside the extension host: packages stay requires from node_modules. */
export const extensionHostModuleOptions = {
  bundle: true,
  packages: 'external',
  external: ['vscode'],
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
};

/**
 * Compiles test/integration/index.ts and every suite's *.test.ts into `outDir` (same relative layout, .js).
 * Each file is bundled with its relative imports; packages (mocha, node-forge, ...) stay real requires
 * from node_modules, and `vscode` is the host's.
 * @returns {{ index: string, suites: Record<string, string[]> }} compiled paths
 */
export async function compileIntegrationTests(outDir) {
  const integrationDir = join(repoRoot, 'test', 'integration');
  const sources = Object.fromEntries(Object.entries(integrationSuites).map(([name, s]) => [name, testFilesIn(s.folder)]));
  const entryPoints = [join(integrationDir, 'index.ts'), ...Object.values(sources).flat()];
  await esbuild.build({
    entryPoints,
    outbase: integrationDir,
    outdir: outDir,
    ...extensionHostModuleOptions,
  });
  const compiled = (file) => join(outDir, file.slice(integrationDir.length + 1).replace(/\.ts$/, '.js'));
  return {
    index: join(outDir, 'index.js'),
    suites: Object.fromEntries(Object.entries(sources).map(([name, files]) => [name, files.map(compiled)])),
  };
}
