// The reference programs (nginx, curl, aria2c, GNU time) and what the report says about the machine.
// Missing programs are installed from Debian with apt when running as root; otherwise the error says how.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

const REQUIRED = [
  { path: '/usr/sbin/nginx', pkg: 'nginx-light' },
  { path: '/usr/bin/aria2c', pkg: 'aria2' },
  { path: '/usr/bin/curl', pkg: 'curl' },
  { path: '/usr/bin/time', pkg: 'time' },
];

export function ensureTools(log) {
  const missing = REQUIRED.filter((t) => !existsSync(t.path));
  if (missing.length === 0) return;
  const pkgs = missing.map((t) => t.pkg);
  if (process.getuid?.() !== 0) {
    throw new Error(
      `bench needs ${pkgs.join(', ')}; run as root or install them: sudo apt-get update && sudo apt-get install -y ${pkgs.join(' ')}`,
    );
  }
  log(`installing ${pkgs.join(', ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', ...pkgs]]) {
    const r = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (exit ${r.status})`);
  }
  const still = REQUIRED.filter((t) => !existsSync(t.path));
  if (still.length) throw new Error(`still missing after apt-get: ${still.map((t) => t.path).join(', ')}`);
}

function firstLine(cmd, args) {
  try {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    return `${r.stdout}${r.stderr}`.trim().split('\n')[0];
  } catch {
    return 'unknown';
  }
}

export function versions() {
  return {
    node: process.version,
    curl:
      firstLine('curl', ['--version']).split(' ').slice(0, 2).join(' ') +
      ' (' +
      (firstLine('curl', ['--version']).match(/OpenSSL\/\S+/)?.[0] ?? '') +
      ')',
    aria2: firstLine('aria2c', ['--version']),
    nginx: firstLine('nginx', ['-v']).replace(/^nginx version: /, ''),
    openssl: firstLine('openssl', ['version']),
  };
}

export function machine() {
  const cpuList = cpus();
  let kernel = 'unknown';
  try {
    kernel = execFileSync('uname', ['-sr'], { encoding: 'utf8' }).trim();
  } catch {
    // keep unknown
  }
  const modelLine = readFileSync('/proc/cpuinfo', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('model name'));
  return {
    cores: cpuList.length,
    cpuModel: modelLine ? modelLine.split(':')[1].trim() : (cpuList[0]?.model ?? 'unknown'),
    ramGiB: totalmem() / 2 ** 30,
    kernel,
  };
}

/** The 1-minute load average, read around the run: other work on a shared machine skews every figure. */
export function loadAverage() {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}
