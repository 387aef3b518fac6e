// `npm start`: a newcomer's first look. Builds and packages the extension (or reuses a .vsix newer than
// its sources), starts the demo HTTPS server (127.0.0.2, private CA), prepares a demo workspace outside
// the repository, installs the .vsix into code-server and starts it on 127.0.0.1, then prints the URL
// to open. Ctrl-C stops both servers.
//
// usage: npm start [-- --fresh] [-- --port N] [-- --workspace-trust]
//   --fresh            forget the demo's VS Code state, workspace and installed extension first
//   --port N           code-server's port (default: the last one used, if free, else a free one)
//   --workspace-trust  keep VS Code's workspace-trust prompt (default: the demo workspace is trusted)
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { exitAfterCleanup, installCleanupHandlers, isStopping, onCleanup } from './lib/cleanup.mjs';
import { installExtension, startCodeServer } from './lib/code-server.mjs';
import { startDemoServerProcess } from './lib/demo-server.mjs';
import { preferredOrFreePort } from './lib/net.mjs';
import { cacheDir, repoRoot, seconds } from './lib/paths.mjs';
import { realVsCodeTools } from './lib/tools.mjs';
import { describeSize, packageVsix, vsixFileName, vsixIsFresh } from './lib/vsix.mjs';

const { values: args } = parseArgs({
  options: { fresh: { type: 'boolean' }, port: { type: 'string' }, 'workspace-trust': { type: 'boolean' } },
});
const started = Date.now();
const say = (message) => console.log(`[start ${seconds(started)}s] ${message}`);
installCleanupHandlers({ signalExitCode: 0 });

const demoDir = join(cacheDir, 'demo');
const workspace = join(cacheDir, 'demo-workspace');
const userDataDir = join(demoDir, 'user-data');
const extensionsDir = join(demoDir, 'extensions');
const stateFile = join(demoDir, 'state.json');
mkdirSync(demoDir, { recursive: true });

// One demo at a time: two code-servers on one user-data folder would trip over each other.
const lockFile = join(demoDir, 'running.json');
if (existsSync(lockFile)) {
  const running = JSON.parse(readFileSync(lockFile, 'utf8'));
  let alive = false;
  try {
    process.kill(running.pid, 0);
    alive = true;
  } catch {
    // stale lock from a run that was killed
  }
  if (alive) {
    console.error(
      `npm start is already running (pid ${running.pid}): open ${running.url}\nStop it with Ctrl-C in its terminal (or kill ${running.pid}) first.`,
    );
    process.exit(1);
  }
}
writeFileSync(lockFile, JSON.stringify({ pid: process.pid }));
onCleanup(() => rmSync(lockFile, { force: true }));

if (args.fresh) {
  say('--fresh: forgetting the demo workspace, VS Code state and installed extension');
  for (const dir of [workspace, userDataDir, extensionsDir]) rmSync(dir, { recursive: true, force: true });
}
const remembered = existsSync(stateFile) ? JSON.parse(readFileSync(stateFile, 'utf8')) : {};

// The first start installs Node 24 and code-server into the cache (minutes; real-vscode.sh says what and
// how long as it goes); later starts only check them.
say('checking code-server and Node 24 (the first start installs them: a few minutes)');
const tools = realVsCodeTools();
say('code-server and Node 24 are ready');

// The .vsix: reused while it is newer than everything it is made from.
const vsix = join(repoRoot, vsixFileName());
if (vsixIsFresh(vsix)) {
  say(`reusing ${vsixFileName()} (newer than its sources)`);
} else {
  say('building and packaging the extension');
  const { bytes, warnings } = packageVsix({ outFile: vsix });
  say(`packaged ${vsixFileName()} (${describeSize(bytes)})`);
  for (const warning of warnings) say(`vsce: ${warning}`);
}

// The demo server, on the port it had last time when that is free, so URLs of unfinished jobs still work.
const demoPort = await preferredOrFreePort('127.0.0.2', remembered.demoPort);
const demo = await startDemoServerProcess({ host: '127.0.0.2', port: demoPort, quiet: true });
say(`demo HTTPS server at ${demo.origin}`);

// The workspace: made from demo/workspace-template once; the CA copy and the file list every start.
const template = join(repoRoot, 'demo', 'workspace-template');
if (!existsSync(workspace)) cpSync(template, workspace, { recursive: true });
const caCopy = join(workspace, '.vscode', 'demo-ca.pem');
mkdirSync(join(workspace, '.vscode'), { recursive: true });
writeFileSync(caCopy, demo.caPem);
// A workspace made before the demo validator existed gets it too; an edited one is left alone.
const validatorFile = join(workspace, '.vscode', 'download-validator.ts');
if (!existsSync(validatorFile)) cpSync(join(template, '.vscode', 'download-validator.ts'), validatorFile);
const settingsFile = join(workspace, '.vscode', 'settings.json');
const marker = 'managed-downloads demo settings v1';
if (!existsSync(settingsFile) || readFileSync(settingsFile, 'utf8').includes(marker)) {
  const text = readFileSync(join(template, '.vscode', 'settings.json'), 'utf8').replace('{{DEMO_CA_FILE}}', caCopy);
  writeFileSync(settingsFile, text);
}
const mib = (n) => `${(n / 1024 / 1024).toFixed(0)} MiB`;
writeFileSync(
  join(workspace, 'DEMO-FILES.md'),
  [
    '# Demo files',
    '',
    `Served by the demo HTTPS server at ${demo.origin} (written by \`npm start\` at ${new Date().toISOString()}).`,
    '',
    '| URL | size | | sha256 |',
    '|---|---|---|---|',
    ...demo.files.map((f) => `| ${f.url} | ${mib(f.bytes)} | ${f.description} | \`${f.sha256}\` |`),
    '',
  ].join('\n'),
);

// The extension: installed again only when the .vsix changed (installing takes a few seconds).
const vsixHash = createHash('sha256').update(readFileSync(vsix)).digest('hex');
const installedMarker = join(extensionsDir, '.installed-vsix-sha256');
if (!existsSync(installedMarker) || readFileSync(installedMarker, 'utf8') !== vsixHash) {
  say('installing the .vsix into the demo code-server');
  installExtension(tools, { vsix, extensionsDir, userDataDir });
  writeFileSync(installedMarker, vsixHash);
} else {
  say('the installed extension is this .vsix already');
}

const port = args.port ? Number(args.port) : await preferredOrFreePort('127.0.0.1', remembered.codeServerPort);
const server = await startCodeServer(tools, {
  workspace,
  port,
  trusted: !args['workspace-trust'],
  userDataDir,
  extensionsDir,
  logFile: join(demoDir, 'code-server.log'),
});
writeFileSync(stateFile, JSON.stringify({ demoPort: demo.port, codeServerPort: server.port }));
writeFileSync(lockFile, JSON.stringify({ pid: process.pid, url: server.folderUrl }));

console.log(`
Managed Downloads is running (ready in ${seconds(started)} s).

  Open in a browser:  ${server.folderUrl}

  Demo files (HTTPS on 127.0.0.2, private CA ${caCopy}):
${demo.files.map((f) => `    ${f.url}   ${mib(f.bytes)}, ${f.description}`).join('\n')}

  Workspace:   ${workspace}  (DEMO-FILES.md lists the files with their sha256)
  Logs:        ${server.logFile}
${args['workspace-trust'] ? '' : '  The demo workspace is opened trusted (--disable-workspace-trust); `npm start -- --workspace-trust` keeps the prompt.\n'}
Press Ctrl-C to stop both servers.`);

// Runs until Ctrl-C (the cleanup handlers stop both servers), or until a server dies on its own.
const ended = await Promise.race([server.exited.then(() => 'code-server'), demo.exited.then(() => 'the demo server')]);
if (isStopping()) await new Promise(() => {}); // Ctrl-C: the cleanup handlers finish and exit
console.error(`\n${ended} stopped unexpectedly; stopping the rest (code-server's log: ${server.logFile})`);
await exitAfterCleanup(1);
