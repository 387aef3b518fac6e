// Finds our programs and bundles them for the benchmark: the CLI (src/cli.ts), and a small driver of the
// job engine alone (clients/engine-get.ts), which measured the engine before the CLI existed and still
// shows what the CLI adds. Bundled into the work folder with the product's esbuild settings rather than into dist/, so
// a teammate rebuilding dist/ mid-run cannot swap the program under the measurement.
// BENCH_CLI=path uses a CLI built elsewhere instead.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const ENGINE_PARTS = ['src/core/jobs/engine.ts', 'src/core/net/connection-provider.ts', 'src/core/tls/service.ts'];

async function bundle(repoRoot, workDir, entries) {
  const esbuild = await import('esbuild');
  const { bundleOptions } = await import('../../esbuild.mjs');
  await esbuild.build({
    ...bundleOptions,
    absWorkingDir: repoRoot,
    entryPoints: entries.filter((e) => existsSync(join(repoRoot, e.in))),
    outdir: join(workDir, 'dist'),
    logLevel: 'silent',
  });
}

/** A CLI given by BENCH_CLI or bundled from src/cli.ts, checked to speak `get --dest`. */
async function prepareCli(repoRoot, workDir, log) {
  let cli = process.env.BENCH_CLI;
  if (!cli) {
    if (!existsSync(join(repoRoot, 'src/cli.ts'))) return { unavailable: 'not available: src/cli.ts does not exist yet' };
    try {
      await bundle(repoRoot, workDir, [
        { in: 'src/cli.ts', out: 'cli' },
        { in: 'src/validator/worker.ts', out: 'validator-worker' },
      ]);
    } catch (err) {
      return { unavailable: `not available: src/cli.ts does not build (${String(err.message).split('\n')[0]})` };
    }
    cli = join(workDir, 'dist', 'cli.js');
    log(`bundled our CLI to ${cli}`);
  }
  const help = spawnSync(process.execPath, [cli, 'get', '--help'], { encoding: 'utf8', timeout: 20_000 });
  const text = `${help.stdout}${help.stderr}`;
  if (!/--dest/.test(text))
    return {
      unavailable: `not available: \`cli.js get --help\` does not describe --dest (exit ${help.status}): ${text.trim().slice(0, 200)}`,
    };
  return {
    label: 'ours (CLI)',
    program: cli,
    // The CLI trusts NODE_EXTRA_CA_CERTS (set by the client definition), as the product does.
    args: (urls, out, store) => [cli, 'get', ...urls, '--dest', out, '--store', store, '--json'],
  };
}

/** The engine alone, through clients/engine-get.ts: what the CLI costs on top shows by difference. */
async function prepareEngineDriver(repoRoot, workDir, log) {
  const missing = ENGINE_PARTS.filter((p) => !existsSync(join(repoRoot, p)));
  if (missing.length) return { unavailable: `not available: needs ${missing.join(', ')}` };
  try {
    await bundle(repoRoot, workDir, [{ in: 'bench/clients/engine-get.ts', out: 'engine-get' }]);
  } catch (err) {
    return { unavailable: `not available: the engine does not build (${String(err.message).split('\n')[0]})` };
  }
  const driver = join(workDir, 'dist', 'engine-get.js');
  log(`bundled the engine driver to ${driver}`);
  return {
    label: 'ours: engine alone (bench driver)',
    program: driver,
    args: (urls, out, store, caFile) => [driver, '--dest', out, '--store', store, '--ca-file', caFile, ...urls],
  };
}

/** @returns {Promise<{ cli: object, engine: object }>} each { unavailable } or { label, program, args(urls, out, store, caFile) } */
export async function prepareOurs(repoRoot, workDir, log) {
  return { cli: await prepareCli(repoRoot, workDir, log), engine: await prepareEngineDriver(repoRoot, workDir, log) };
}
