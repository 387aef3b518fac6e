// Bundles the extension (and the CLI, and the validator worker) into dist/, minified with source maps.
// `node esbuild.mjs --watch` rebuilds on change; `--production` is what `npm run package` uses.
import * as esbuild from 'esbuild';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';

const watch = process.argv.includes('--watch');
const entries = [
  { in: 'src/extension.ts', out: 'extension' },
  { in: 'src/cli.ts', out: 'cli' },
  { in: 'src/validator/worker.ts', out: 'validator-worker' },
].filter((e) => existsSync(e.in));

/**
 * Two parts of axios this product never uses are left out of the bundle, because loading them cost every
 * start (measured in the CLI: ~17 ms of 155 ms for the first, ~7 ms for the second):
 * - the fetch adapter probes the fetch globals when its module loads, and on Node that loads undici; the
 *   product asks for the http adapter (src/core/transfer/http-client.ts), and `false` is what axios's own
 *   module exports where fetch is missing;
 * - form-data (with mime-types and its 200 KB database) serves multipart bodies, which nothing here sends;
 * - axios's utils read the global FormData when they load, which on Node loads undici too (~20 ms): left
 *   undefined, isFormData still knows a FormData by its tag. If an axios update rewrites that line, the
 *   build fails here rather than quietly loading undici again.
 */
const unusedAxiosParts = {
  name: 'unused-axios-parts',
  setup(build) {
    build.onLoad({ filter: /[\\/]axios[\\/]lib[\\/]adapters[\\/]fetch\.js$/ }, () => ({
      contents: 'export const getFetch = () => false;\nexport default false;\n',
      loader: 'js',
    }));
    build.onLoad({ filter: /[\\/]axios[\\/]lib[\\/]utils\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const probe = "typeof G.FormData !== 'undefined' ? G.FormData : undefined";
      if (!source.includes(probe)) throw new Error(`axios/lib/utils.js no longer reads the global FormData as esbuild.mjs expects: update the unused-axios-parts plugin`);
      return { contents: source.replace(probe, 'undefined'), loader: 'js' };
    });
    build.onResolve({ filter: /^form-data$/ }, () => ({ path: 'form-data', namespace: 'unused-axios-parts' }));
    build.onLoad({ filter: /.*/, namespace: 'unused-axios-parts' }, () => ({
      contents: "module.exports = class FormDataLeftOut { constructor() { throw new Error('multipart bodies are not part of this bundle'); } };\n",
      loader: 'js',
    }));
  },
};

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
  plugins: [unusedAxiosParts],
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
