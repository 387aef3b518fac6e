// Bundles the extension (and the CLI, and the validator worker) into dist/, minified with source maps.
// `node esbuild.mjs --watch` rebuilds on change; `--production` is what `npm run package` uses.
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const entries = [
  { in: 'src/extension.ts', out: 'extension' },
  { in: 'src/cli.ts', out: 'cli' },
  { in: 'src/validator/worker.ts', out: 'validator-worker' },
].filter((e) => existsSync(e.in));

const options = {
  entryPoints: entries,
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  // vscode is provided by the host; esbuild carries a native binary, so it ships beside the bundle.
  external: ['vscode', 'esbuild'],
  logLevel: 'info',
};

if (watch) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
} else {
  await esbuild.build(options);
}
