// Starting and stopping code-server (a real VS Code whose workbench runs in the browser and whose Node 24
// extension host runs our extension as desktop VS Code does). Every start gets its own config file and,
// unless told otherwise, fresh user-data and extensions folders, so runs never see each other's state.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onCleanup, trackProcessGroup } from './cleanup.mjs';
import { freePort, waitForHttpOk } from './net.mjs';

/** The user settings every run starts from: nothing pops up, nothing phones home. */
export const quietUserSettings = {
  'workbench.startupEditor': 'none',
  'chat.disableAIFeatures': true,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
  'workbench.enableExperiments': false,
  'workbench.tips.enabled': false,
  // The empty secondary side bar (chat is off) would take a third of every screenshot.
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
};

/** Writes UD/User/settings.json: the quiet settings plus `extra` (merged over what is already there). */
export function writeUserSettings(userDataDir, extra = {}) {
  const dir = join(userDataDir, 'User');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'settings.json');
  let existing = {};
  if (existsSync(file)) {
    try {
      existing = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      // A person edited it into JSONC; keep it as it is rather than lose their edits.
      return file;
    }
  }
  writeFileSync(file, JSON.stringify({ ...existing, ...quietUserSettings, ...extra }, null, 2) + '\n');
  return file;
}

/** An environment for code-server: Node 24 first on PATH, none of our own Node loader options. */
function serverEnv(tools, extraEnv) {
  const env = { ...process.env, ...extraEnv, PATH: `${tools.node24Bin}:${process.env.PATH ?? ''}` };
  delete env.NODE_OPTIONS; // a tsx loader or inspector flag meant for this script must not reach the extension host
  delete env.ELECTRON_RUN_AS_NODE;
  return env;
}

/**
 * Installs a .vsix into `extensionsDir` with `code-server --install-extension`, before any server starts
 * (one installed into a running server is not seen until it restarts). Returns the installed folder.
 */
export function installExtension(tools, { vsix, extensionsDir, userDataDir }) {
  mkdirSync(extensionsDir, { recursive: true });
  mkdirSync(userDataDir, { recursive: true });
  const r = spawnSync(
    tools.node24,
    [tools.codeServerEntry, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, '--install-extension', vsix, '--force'],
    { env: serverEnv(tools, {}), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120000 },
  );
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  if (r.status !== 0) throw new Error(`code-server --install-extension ${vsix} failed (exit ${r.status}):\n${output}`);
  const installed = readdirSync(extensionsDir).filter((name) => name.startsWith('managed-downloads.managed-downloads-'));
  if (installed.length === 0)
    throw new Error(`--install-extension reported success but ${extensionsDir} has no managed-downloads folder:\n${output}`);
  return join(extensionsDir, installed.sort().at(-1));
}

/**
 * Starts code-server and waits until /healthz answers.
 * @param {object} tools realVsCodeTools()
 * @param {object} options
 * @param {string} options.workspace folder to open
 * @param {boolean} [options.trusted=true] false leaves workspace trust on (the folder starts untrusted)
 * @param {boolean} [options.smokeTestDriver=false] lets a page run extension-host tests (see run-integration.mjs)
 * @param {string} [options.userDataDir] default: a fresh temporary folder
 * @param {string} [options.extensionsDir] default: a fresh temporary folder
 * @param {number} [options.port] default: a free port
 * @param {string} [options.host='127.0.0.1']
 * @param {object} [options.env] extra environment (reaches the extension host)
 * @param {string} [options.logFile] code-server's own output
 * @param {object} [options.userSettings] merged over the quiet settings
 * @returns {Promise<{ url: string, folderUrl: string, port: number, userDataDir: string, extensionsDir: string, logFile: string, stop: () => Promise<void>, exited: Promise<void> }>}
 */
export async function startCodeServer(tools, options) {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await freePort(host));
  const scratch = mkdtempSync(join(tmpdir(), 'md-code-server-'));
  const userDataDir = options.userDataDir ?? join(scratch, 'user-data');
  const extensionsDir = options.extensionsDir ?? join(scratch, 'extensions');
  mkdirSync(extensionsDir, { recursive: true });
  writeUserSettings(userDataDir, options.userSettings);
  // Without --config code-server writes into ~/.config/code-server; an empty file is an error.
  const config = join(scratch, 'config.yaml');
  writeFileSync(config, 'auth: none\ncert: false\n');

  const args = [
    tools.codeServerEntry,
    '--config',
    config,
    '--bind-addr',
    `${host}:${port}`,
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--user-data-dir',
    userDataDir,
    '--extensions-dir',
    extensionsDir,
  ];
  if (options.trusted !== false) args.push('--disable-workspace-trust');
  if (options.smokeTestDriver) args.push('--vscode-option', 'enable-smoke-test-driver');
  args.push(options.workspace);

  const logFile = options.logFile ?? join(scratch, 'code-server.log');
  const log = createWriteStream(logFile);
  // detached: its own process group, so it can be stopped as a whole (it spawns the extension host and more).
  const child = spawn(tools.node24, args, { env: serverEnv(tools, options.env ?? {}), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  let exited = false;
  const exitedPromise = new Promise((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const untrack = trackProcessGroup(child.pid);

  const stop = async () => {
    if (!exited) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // gone already
      }
      const killed = await Promise.race([exitedPromise.then(() => true), new Promise((r) => setTimeout(() => r(false), 8000))]);
      if (!killed) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // gone already
        }
        await exitedPromise;
      }
    }
    // The extension host and its helpers share the group; make sure none lingers.
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // nothing left
    }
    untrack();
    log.end();
    rmSync(scratch, { recursive: true, force: true });
  };
  onCleanup(stop);

  const url = `http://${host}:${port}`;
  await waitForHttpOk(`${url}/healthz`, {
    timeoutMs: 60000,
    isAlive: () => !exited,
    describe: () => `code-server's log: ${logFile}\n${tail(logFile)}`,
  });
  return {
    url,
    folderUrl: `${url}/?folder=${encodeURIComponent(options.workspace)}`,
    port,
    userDataDir,
    extensionsDir,
    logFile,
    stop,
    /** Resolves when the server process ends (on its own, or through stop()). */
    exited: exitedPromise,
  };
}

function tail(file, lines = 20) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
