// Issue 17 point 4: what axios would cost the bundle, measured with esbuild's metafile rather than remembered.
// Builds the CLI (src/cli.ts) with the product's esbuild options twice into a scratch folder: as it is, and with
// an entry that also makes one GET through axios (so nothing of it is tree-shaken away), then prints the output
// sizes, the bytes each package adds to the output, and the packages axios brings into node_modules.
// `node bench/axios-cost.mjs` (axios is a devDependency, only for this measurement).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { bundleOptions } from '../esbuild.mjs';

const repoRoot = dirname(dirname(fileURLToPath(import.meta.url)));
// Inside the clone (bench/work is git-ignored), so the scratch entry resolves axios from node_modules.
mkdirSync(join(repoRoot, 'bench/work'), { recursive: true });
const scratch = mkdtempSync(join(repoRoot, 'bench/work/axios-cost-'));

/** Output bytes of one build, and of each package in it (node_modules/NAME, or "ours" for the sources). */
async function build(entry) {
  const result = await esbuild.build({
    ...bundleOptions,
    absWorkingDir: repoRoot,
    entryPoints: [entry],
    outfile: join(scratch, 'out.js'),
    metafile: true,
    logLevel: 'silent',
  });
  const output = Object.entries(result.metafile.outputs).find(([name]) => name.endsWith('out.js'))[1];
  const perPackage = {};
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const m = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
    const key = m ? m[1] : 'ours';
    perPackage[key] = (perPackage[key] ?? 0) + bytesInOutput;
  }
  return { bytes: output.bytes, perPackage };
}

/** axios and every package it depends on, transitively, as installed. */
function dependencyClosure(name, seen = new Set()) {
  if (seen.has(name)) return seen;
  seen.add(name);
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'node_modules', name, 'package.json'), 'utf8'));
  for (const dep of Object.keys(pkg.dependencies ?? {})) dependencyClosure(dep, seen);
  return seen;
}

try {
  const withAxios = join(scratch, 'cli-with-axios.ts');
  writeFileSync(
    withAxios,
    `import axios from 'axios';\nimport '${join(repoRoot, 'src/cli.ts')}';\n` +
      `if (process.env.NEVER_SET) void axios.get(process.env.NEVER_SET, { responseType: 'stream' });\n`,
  );
  const plain = await build(join(repoRoot, 'src/cli.ts'));
  const axios = await build(withAxios);
  const added = Object.entries(axios.perPackage)
    .filter(([name]) => !(name in plain.perPackage))
    .sort((a, b) => b[1] - a[1]);
  const closure = [...dependencyClosure('axios')];
  const version = JSON.parse(readFileSync(join(repoRoot, 'node_modules/axios/package.json'), 'utf8')).version;
  console.log(`CLI bundle (minified, as shipped): ${(plain.bytes / 1000).toFixed(1)} KB`);
  console.log(
    `CLI bundle with one axios ${version} GET: ${(axios.bytes / 1000).toFixed(1)} KB (+${((axios.bytes - plain.bytes) / 1000).toFixed(1)} KB)`,
  );
  console.log(`packages axios adds to the bundle: ${added.map(([n, b]) => `${n} ${(b / 1000).toFixed(1)} KB`).join(', ')}`);
  console.log(`packages axios brings into node_modules (itself included): ${closure.length}: ${closure.join(', ')}`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
