// Finds our program and bundles it for the benchmark: the CLI (src/cli.ts) when it exists; before that,
// an interim driver of the job engine (clients/engine-get.ts) so the engine's data path is measured
// already. Bundled into the work folder with the product's esbuild settings rather than into dist/, so
// a teammate rebuilding dist/ mid-run cannot swap the program under the measurement.
// BENCH_CLI=path uses a CLI built elsewhere instead.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const ENGINE_PARTS = ['src/core/jobs/engine.ts', 'src/core/net/connection-provider.ts', 'src/core/tls/service.ts'];

async function bundle(repoRoot, workDir, entries) {
  const esbuild = await import('esbuild');
  await esbuild.build({
    absWorkingDir: repoRoot,
    entryPoints: entries.filter((e) => existsSync(join(repoRoot, e.in))),
    outdir: join(workDir, 'dist'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    external: ['vscode', 'esbuild'],
    logLevel: 'silent',
  });
}

/**
 * @returns {Promise<{ unavailable?: string, label?: string, program?: string,
 *   args?: (urls: string[], out: string, store: string, caFile: string) => string[] }>}
 */
export async function prepareOurs(repoRoot, workDir, log) {
  let cli = process.env.BENCH_CLI;
  if (!cli && existsSync(join(repoRoot, 'src/cli.ts'))) {
    try {
      await bundle(repoRoot, workDir, [
        { in: 'src/cli.ts', out: 'cli' },
        { in: 'src/validator/worker.ts', out: 'validator-worker' },
      ]);
      cli = join(workDir, 'dist', 'cli.js');
      log(`bundled our CLI to ${cli}`);
    } catch (err) {
      return { unavailable: `not available: src/cli.ts does not build (${String(err.message).split('\n')[0]})` };
    }
  }
  if (cli) {
    const help = spawnSync(process.execPath, [cli, 'get', '--help'], { encoding: 'utf8', timeout: 20_000 });
    const text = `${help.stdout}${help.stderr}`;
    if (!/--dest/.test(text)) return { unavailable: `not available: \`cli.js get --help\` does not describe --dest (exit ${help.status}): ${text.trim().slice(0, 200)}` };
    return {
      label: 'ours (CLI)',
      program: cli,
      help: text,
      // The CLI trusts NODE_EXTRA_CA_CERTS (set by the client definition), as the product does.
      args: (urls, out, store) => [cli, 'get', ...urls, '--dest', out, '--store', store, '--json'],
    };
  }
  const missing = ENGINE_PARTS.filter((p) => !existsSync(join(repoRoot, p)));
  if (missing.length) return { unavailable: `not available: src/cli.ts does not exist yet, nor ${missing.join(', ')}` };
  try {
    await bundle(repoRoot, workDir, [{ in: 'bench/clients/engine-get.ts', out: 'engine-get' }]);
  } catch (err) {
    return { unavailable: `not available: no src/cli.ts yet, and the engine does not build (${String(err.message).split('\n')[0]})` };
  }
  const driver = join(workDir, 'dist', 'engine-get.js');
  log(`no src/cli.ts yet: measuring the engine through the interim driver ${driver}`);
  return {
    label: 'ours (engine via interim driver; no CLI yet)',
    program: driver,
    args: (urls, out, store, caFile) => [driver, '--dest', out, '--store', store, '--ca-file', caFile, ...urls],
  };
}
