// Bundles the extension (and the CLI, and the validator worker) into dist/, minified with source maps.
// `node esbuild.mjs --watch` rebuilds on change; `--production` is what `npm run package` uses.
import * as esbuild from 'esbuild';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const watch = process.argv.includes('--watch');
const entries = [
  { in: 'src/extension.ts', out: 'extension' },
  { in: 'src/cli.ts', out: 'cli' },
  { in: 'src/validator/worker.ts', out: 'validator-worker' },
].filter((e) => existsSync(e.in));

/** How the product is bundled; bench/ bundles its copies of our programs the same way. */
export const bundleOptions = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  // vscode is provided by the host; esbuild carries a native binary, so it ships beside the bundle.
  external: ['vscode', 'esbuild'],
};

const options = { ...bundleOptions, entryPoints: entries, outdir: 'dist', logLevel: 'info' };

// The validator module's declarations ship beside the bundle: Create Certificate Validator writes them
// into the workspace so that the editor knows the types of `managed-downloads/validator`.
const declarations = 'src/validator/managed-downloads-validator.d.ts';
const runAsScript = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (runAsScript && existsSync(declarations)) {
  mkdirSync('dist', { recursive: true });
  copyFileSync(declarations, 'dist/managed-downloads-validator.d.ts');
}

if (runAsScript && watch) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
} else if (runAsScript) {
  await esbuild.build(options);
}
