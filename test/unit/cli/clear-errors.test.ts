// Every error a person can meet on the command line reads as one line with the code's name, its HRESULT and what
// to do, and exits non-zero: a read-only or full store, a --dest that is a file, a --header typo (whose value,
// often a token, is never echoed), bad input to each verb. Never "unexpected error", never a stack trace.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { runCli, type CliResult } from '../../support/cli';
import { sandboxFor, type TestSandbox } from '../../support/engine';

const asRoot = process.getuid?.() === 0;

/** The failure is reported the way every error is: no stack trace, no "unexpected error". */
function assertClear(r: CliResult, label: string): void {
  assert.notEqual(r.code, 0, `${label}: exits non-zero`);
  assert.doesNotMatch(r.stderr, /unexpected error|\n\s+at .+:\d+:\d+\)?\n/, `${label}: no stack trace\n${r.stderr}`);
}

/**
 * A folder nothing can be written into: immutable as root (root ignores permission bits), mode 555 otherwise;
 * unlocked when the test ends, before the sandbox is removed.
 */
function lockFolder(box: TestSandbox, folder: string): void {
  mkdirSync(folder, { recursive: true });
  if (asRoot) assert.equal(spawnSync('chattr', ['+i', folder]).status, 0, 'chattr +i works here');
  else chmodSync(folder, 0o555);
  box.later(() => void (asRoot ? spawnSync('chattr', ['-i', folder]) : chmodSync(folder, 0o755)));
}

test('a read-only store: get, run and cancel say E_ACCESSDENIED and what to do; list still reads it', async (t) => {
  const box = sandboxFor(t);
  mkdirSync(path.join(box.store, 'jobs'), { recursive: true });
  lockFolder(box, box.store);
  for (const args of [['get', 'http://127.0.0.1:9/a.bin', '--dest', box.dest], ['run'], ['cancel', '00000000']]) {
    const r = await runCli([...args, '--store', box.store]);
    assertClear(r, args[0]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /^managed-downloads: E_ACCESSDENIED \(0x80070005\): Taking the lease of the store .* failed: (permission denied|the file system is read-only) \(E[A-Z]+\)\. Make the store folder writable, or choose a store folder you can write to\.\n$/,
    );
  }
  const list = await runCli(['list', '--store', box.store]);
  assert.equal(list.code, 0, list.stderr);
  const json = await runCli(['get', 'http://127.0.0.1:9/a.bin', '--dest', box.dest, '--store', box.store, '--json']);
  assert.equal(JSON.parse(json.stdout).error.codeName, 'E_ACCESSDENIED');
});

test(
  'a full disk under the store: E_DISK_FULL with what to do, and no temp file left behind',
  { skip: !asRoot && 'mounting a tmpfs needs root' },
  async (t) => {
    const box = sandboxFor(t);
    mkdirSync(box.store, { recursive: true });
    assert.equal(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', box.store]).status, 0, 'a tmpfs could be mounted');
    box.later(() => void spawnSync('umount', [box.store]));
    // Filled to the last byte.
    spawnSync('dd', ['if=/dev/zero', `of=${path.join(box.store, 'fill')}`, 'bs=4k', 'count=100']);
    for (const args of [['get', 'http://127.0.0.1:9/a.bin', '--dest', box.dest], ['run']]) {
      const r = await runCli([...args, '--store', box.store]);
      assertClear(r, args[0]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(
        r.stderr,
        /^managed-downloads: E_DISK_FULL \(0x80070070\): Taking the lease of the store .* failed: the disk is full \(ENOSPC\)\. Free some space on the store folder's disk, or choose a store folder on another disk\.\n$/,
      );
    }
    assert.deepEqual(readdirSync(box.store), ['fill'], 'no lease or temp file left in the full store');
  },
);

test('--dest naming a file, or a folder that cannot be made: a clear error before anything starts', async (t) => {
  const box = sandboxFor(t);
  mkdirSync(box.root, { recursive: true });
  const file = path.join(box.root, 'a-file');
  writeFileSync(file, 'x');
  const cases: [string, number, RegExp][] = [
    [
      file,
      2,
      /^managed-downloads: E_INVALIDARG \(0x80070057\): --dest .*a-file is a file, not a folder\. --dest names the folder to download into: give a folder/,
    ],
    [
      path.join(file, 'sub'),
      2,
      /^managed-downloads: E_FILE_EXISTS \(0x80070050\): Creating the --dest folder .* failed: a file is in the way where a folder is needed \(ENOTDIR\)\. Choose another --dest folder/,
    ],
  ];
  const locked = path.join(box.root, 'locked');
  lockFolder(box, locked);
  cases.push([
    path.join(locked, 'sub'),
    1,
    /^managed-downloads: E_ACCESSDENIED \(0x80070005\): Creating the --dest folder .* failed: permission denied \(E[A-Z]+\)\. Choose a --dest folder you can write to\./,
  ]);
  for (const [dest, code, message] of cases) {
    const r = await runCli(['get', 'http://127.0.0.1:9/a.bin', '--dest', dest, '--store', box.store]);
    assertClear(r, dest);
    assert.equal(r.code, code, r.stderr);
    assert.match(r.stderr, message);
  }
  const list = await runCli(['list', '--store', box.store, '--json']);
  assert.deepEqual(JSON.parse(list.stdout).jobs, [], 'no job was left behind');
});

test('a --header typo names the problem without echoing the value; so does a bad MANAGED_DOWNLOADS_HEADERS line', async (t) => {
  const box = sandboxFor(t);
  const secret = 'abc123-very-secret-token';
  const cases: [string, RegExp][] = [
    [`Authorization Bearer ${secret}`, /--header "Authorization \*\*\*" \(\d+ characters\) has no colon: write it as "Name: value"/],
    [`Authorization Bearer ${secret}:x`, /--header "Authorization \*\*\*" \(\d+ characters\) has no valid header name before its colon/],
    [secret, /--header "abc \*\*\*" \(\d+ characters\) has no colon/],
  ];
  for (const [header, message] of cases) {
    const r = await runCli(['get', 'http://127.0.0.1:9/a.bin', '--dest', box.dest, '--store', box.store, '--header', header, '--json']);
    assertClear(r, header);
    assert.equal(r.code, 2);
    assert.match(r.stderr, message);
    assert.ok(!(r.stdout + r.stderr).includes(secret.slice(3)), `the value is echoed: ${r.stderr}`);
  }
  const env = await runCli(['get', 'http://127.0.0.1:9/a.bin', '--dest', box.dest, '--store', box.store], {
    MANAGED_DOWNLOADS_HEADERS: `Bearer ${secret}`,
  });
  assertClear(env, 'MANAGED_DOWNLOADS_HEADERS');
  assert.equal(env.code, 2);
  assert.match(env.stderr, /E_INVALIDARG \(0x80070057\): MANAGED_DOWNLOADS_HEADERS: each line needs "Name: value"/);
  assert.ok(!env.stderr.includes(secret), env.stderr);
});

test('bad input to every verb is a clear error with an exit code, never a stack trace', async (t) => {
  const box = sandboxFor(t);
  mkdirSync(box.root, { recursive: true });
  const file = path.join(box.root, 'a-file');
  writeFileSync(file, 'x');
  const cases: [string[], RegExp][] = [
    [
      ['info', 'nope', '--store', box.store],
      /BG_E_NOT_FOUND \(0x80200001\): No job nope in this store\. 'managed-downloads list' shows the jobs\./,
    ],
    [
      ['resume', 'nope', '--store', box.store],
      /BG_E_NOT_FOUND \(0x80200001\): No job nope in this store\. 'managed-downloads list' shows the jobs\./,
    ],
    [
      ['cancel', 'nope', '--store', box.store],
      /BG_E_NOT_FOUND \(0x80200001\): No job nope in this store\. 'managed-downloads list' shows the jobs\./,
    ],
    [['get', 'http://[bad/a', '--dest', box.dest, '--store', box.store], /is not a valid URL/],
    [['get', 'http://127.0.0.1:9/a.bin', '--priority', '9', '--store', box.store], /Unknown priority/],
    [
      ['get', 'http://127.0.0.1:9/a.bin', '--security-flags', '0xffffffff', '--dest', box.dest, '--store', box.store],
      /E_INVALIDARG .*Unknown security flags/,
    ],
    [
      ['get', 'http://127.0.0.1:9/a.bin', '--sha256', 'xyz', '--dest', box.dest, '--store', box.store],
      /E_INVALIDARG .*not a sha256 digest/,
    ],
    [
      ['get', 'http://127.0.0.1:9/a.bin', '--dest', box.dest, '--store', file],
      /E_FILE_EXISTS \(0x80070050\): .*store .* a file is in the way where a folder is needed/,
    ],
    [['list', '--store', file], /E_FILE_EXISTS \(0x80070050\): Opening the job store folder .* a file is in the way/],
    [['check-cert', 'http://127.0.0.1:9/'], /BG_E_PROTOCOL_NOT_AVAILABLE/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(args);
    assertClear(r, args.join(' '));
    assert.match(r.stderr, message, args.join(' '));
  }
});
