// Finds our CLI and bundles it for the benchmark. It is bundled into the work folder (same esbuild
// settings as the product build) rather than dist/, so a teammate rebuilding dist/ mid-run cannot
// swap the program under the measurement. BENCH_CLI=path uses a CLI built elsewhere instead.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** @returns {Promise<{ cli?: string, unavailable?: string, help?: string }>} */
export async function prepareOurCli(repoRoot, workDir, log) {
  let cli = process.env.BENCH_CLI;
  if (!cli) {
    if (!existsSync(join(repoRoot, 'src/cli.ts'))) return { unavailable: 'not available: src/cli.ts does not exist yet' };
    const esbuild = await import('esbuild');
    const outdir = join(workDir, 'dist');
    const entries = [
      { in: 'src/cli.ts', out: 'cli' },
      { in: 'src/validator/worker.ts', out: 'validator-worker' },
    ].filter((e) => existsSync(join(repoRoot, e.in)));
    try {
      await esbuild.build({
        absWorkingDir: repoRoot,
        entryPoints: entries,
        outdir,
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
    } catch (err) {
      return { unavailable: `not available: src/cli.ts does not build (${String(err.message).split('\n')[0]})` };
    }
    cli = join(outdir, 'cli.js');
    log(`bundled our CLI to ${cli}`);
  }
  const help = spawnSync(process.execPath, [cli, 'get', '--help'], { encoding: 'utf8', timeout: 20_000 });
  const text = `${help.stdout}${help.stderr}`;
  if (!/--dest/.test(text)) return { unavailable: `not available: \`${cli} get --help\` does not describe --dest (exit ${help.status}): ${text.trim().slice(0, 200)}` };
  return { cli, help: text };
}
