// Packaging the extension into a platform-specific .vsix with vsce, from a staging folder that holds
// only what the extension loads or shows: its bundle and the validator worker (dist/, without the CLI,
// which the extension never runs, and without source maps), the validator declarations it writes into
// workspaces, media/ (the activity-bar glyph, the icon, the README's screenshots), package.json,
// README.md (its developers' note cut out), CHANGELOG.md, LICENSE, and esbuild itself (the certificate
// validator is compiled at run time) with the native package of the target platform. Everything else
// is bundled into dist/, so esbuild is the .vsix's one dependency.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildExtension } from './build.mjs';
import { cacheDir, repoRoot } from './paths.mjs';

/** What the extension loads from dist/ (main, the validator worker, the declarations it copies). */
export const shippedDistFiles = ['extension.js', 'validator-worker.js', 'managed-downloads-validator.d.ts'];

/** README.md's note for developers, between these markers, is left out of the packaged README. */
const DEVELOPERS_NOTE = /\n?<!-- developers -->[\s\S]*?<!-- \/developers -->\n?/;

/** vsce targets and the esbuild package that carries each one's binary. */
export const esbuildPackageForTarget = {
  'linux-x64': '@esbuild/linux-x64',
  'linux-arm64': '@esbuild/linux-arm64',
  'linux-armhf': '@esbuild/linux-arm',
  'alpine-x64': '@esbuild/linux-x64', // esbuild's Linux binaries are static, so they run on musl too
  'alpine-arm64': '@esbuild/linux-arm64',
  'darwin-x64': '@esbuild/darwin-x64',
  'darwin-arm64': '@esbuild/darwin-arm64',
  'win32-x64': '@esbuild/win32-x64',
  'win32-arm64': '@esbuild/win32-arm64',
};
export const defaultTarget = 'linux-x64';

export function readManifest() {
  return JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
}

/** managed-downloads-<version>.vsix for the default target, managed-downloads-<version>-<target>.vsix otherwise. */
export function vsixFileName(target = defaultTarget) {
  const { name, version } = readManifest();
  return target === defaultTarget ? `${name}-${version}.vsix` : `${name}-${version}-${target}.vsix`;
}

/** The files whose change makes a packaged .vsix stale. */
function packagedSources() {
  const files = [];
  const walk = (p) => {
    if (!existsSync(p)) return;
    if (statSync(p).isDirectory()) for (const name of readdirSync(p)) walk(join(p, name));
    else files.push(p);
  };
  for (const p of [
    'src',
    'media',
    'package.json',
    'package.nls.json',
    'l10n',
    'package-lock.json',
    'README.md',
    'CHANGELOG.md',
    'LICENSE',
    '.vscodeignore',
    'esbuild.mjs',
    'scripts/lib/vsix.mjs',
  ]) {
    walk(join(repoRoot, p));
  }
  return files;
}

/** True when `vsix` exists and is newer than every source it was made from. */
export function vsixIsFresh(vsix) {
  if (!existsSync(vsix)) return false;
  const made = statSync(vsix).mtimeMs;
  return packagedSources().every((f) => statSync(f).mtimeMs < made);
}

/** Runs a command; returns its stdout (with `withStderr`, stdout then stderr, where vsce writes its warnings). */
function run(command, args, { withStderr = false, ...options } = {}) {
  const r = spawnSync(command, args, { encoding: 'utf8', ...options });
  if (r.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (exit ${r.status}):\n${(r.stdout ?? '') + (r.stderr ?? '')}`);
  }
  return (r.stdout ?? '') + (withStderr ? (r.stderr ?? '') : '');
}

/**
 * The target's esbuild binary package: from node_modules when npm installed it (the machine's own
 * platform), else fetched once with `npm pack` from the registry into the cache.
 */
function esbuildPlatformPackage(pkg, version) {
  const local = join(repoRoot, 'node_modules', pkg);
  if (existsSync(join(local, 'package.json')) && JSON.parse(readFileSync(join(local, 'package.json'), 'utf8')).version === version) {
    return local;
  }
  const dir = join(cacheDir, 'esbuild-platforms', `${pkg.replace('/', '__')}-${version}`);
  if (!existsSync(join(dir, 'package', 'package.json'))) {
    mkdirSync(dir, { recursive: true });
    console.log(`[package] fetching ${pkg}@${version} with npm pack (once; cached in ${dir})`);
    const tarball = run('npm', ['pack', `${pkg}@${version}`, '--silent', '--pack-destination', dir], { cwd: dir })
      .trim()
      .split('\n')
      .at(-1);
    run('tar', ['xzf', join(dir, tarball), '-C', dir]);
  }
  return join(dir, 'package');
}

/** Lays out the staging folder for `target`. */
function stage(stagingDir, target) {
  rmSync(stagingDir, { recursive: true, force: true });
  mkdirSync(stagingDir, { recursive: true });
  const manifest = readManifest();
  const esbuildVersion = JSON.parse(readFileSync(join(repoRoot, 'node_modules', 'esbuild', 'package.json'), 'utf8')).version;
  // The .vsix's package.json: everything else is bundled into dist/, so esbuild is its one dependency;
  // the CLI (`bin`) is not in the .vsix.
  const shipped = { ...manifest, dependencies: { esbuild: esbuildVersion } };
  delete shipped.devDependencies;
  delete shipped.scripts;
  delete shipped.bin;
  writeFileSync(join(stagingDir, 'package.json'), JSON.stringify(shipped, null, 2) + '\n');
  for (const file of shippedDistFiles) {
    const from = join(repoRoot, 'dist', file);
    if (!existsSync(from)) throw new Error(`dist/${file} is missing: the build (node esbuild.mjs) did not make it`);
    cpSync(from, join(stagingDir, 'dist', file));
  }
  // package.nls.json: the manifest's strings (package.json holds only their %keys%); l10n: the code's.
  for (const p of ['media', 'package.nls.json', 'l10n', 'CHANGELOG.md', 'LICENSE', '.vscodeignore']) {
    cpSync(join(repoRoot, p), join(stagingDir, p), { recursive: true });
  }
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  if (!DEVELOPERS_NOTE.test(readme))
    throw new Error('README.md has no <!-- developers --> ... <!-- /developers --> note for the packaging to leave out');
  writeFileSync(join(stagingDir, 'README.md'), readme.replace(DEVELOPERS_NOTE, ''));
  // esbuild's JavaScript API only; its bin/ (a copy of the host's binary) and install script are not needed.
  const esbuildDir = join(repoRoot, 'node_modules', 'esbuild');
  for (const p of ['package.json', 'LICENSE.md', 'lib/main.js']) {
    cpSync(join(esbuildDir, p), join(stagingDir, 'node_modules', 'esbuild', p));
  }
  const platformPkg = esbuildPackageForTarget[target];
  cpSync(esbuildPlatformPackage(platformPkg, esbuildVersion), join(stagingDir, 'node_modules', platformPkg), { recursive: true });
}

/**
 * Builds for production and packages. Returns { vsix, bytes, files, log, warnings } (warnings: vsce's
 * WARNING lines, for the caller to show).
 * @param {{ target?: string, outFile?: string, build?: boolean }} [options]
 */
export function packageVsix({ target = defaultTarget, outFile, build = true } = {}) {
  if (!esbuildPackageForTarget[target]) {
    throw new Error(`unknown --target ${target}; one of: ${Object.keys(esbuildPackageForTarget).join(', ')}`);
  }
  if (build) buildExtension({ production: true });
  const vsix = outFile ?? join(repoRoot, vsixFileName(target));
  const stagingDir = join(repoRoot, 'out', `package-${target}-${process.pid}`);
  try {
    stage(stagingDir, target);
    const vsce = join(repoRoot, 'node_modules', '@vscode', 'vsce', 'vsce');
    // --no-rewrite-relative-links: the README's screenshots load from media/ inside the .vsix, not from
    // the repository's web address (which vsce would otherwise put in their place).
    const output = run(process.execPath, [vsce, 'package', '--target', target, '--out', vsix, '--no-rewrite-relative-links'], {
      cwd: stagingDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      withStderr: true,
    });
    const files = /\((\d+) files?/.exec(output)?.[1];
    const warnings = output
      .split('\n')
      .filter((line) => /\bWARNING\b/.test(line))
      .map((line) => line.trim());
    return { vsix, bytes: statSync(vsix).size, files: files ? Number(files) : undefined, log: output, warnings };
  } finally {
    rmSync(stagingDir, { recursive: true, force: true });
  }
}

export function describeSize(bytes) {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(0)} KiB`;
}
