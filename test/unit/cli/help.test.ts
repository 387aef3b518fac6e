// --help is the CLI's reference: it names every command and every option the parser accepts, and nothing the
// parser would refuse; and the parsers of the new options (--limit-rate, -i lists, -o) say what to write instead.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COMMAND_OPTIONS, COMMON_OPTIONS, OPTIONS, parseCommand, parseRate } from '../../../src/cli/args';
import { urlsFromList } from '../../../src/cli/file-targets';
import { securityFlagsOf } from '../../../src/cli/job-options';
import { UsageError } from '../../../src/cli/usage';
import { runCli } from '../../support/cli';

test('--help lists every command and option the parser accepts, and no other', async () => {
  const help = await runCli(['--help']);
  assert.equal(help.code, 0, help.stderr);
  const usage = help.stdout;
  const longInHelp = new Set([...usage.matchAll(/(?<![\w-])--([a-z][a-z0-9-]*)/g)].map((m) => m[1]));
  const shortInHelp = new Set([...usage.matchAll(/(?<![\w-])-([a-zA-Z])\b/g)].map((m) => m[1]));
  const longAccepted = new Set(Object.keys(OPTIONS));
  const shortAccepted = new Set(Object.values(OPTIONS).flatMap((o) => ('short' in o ? [o.short] : [])));
  assert.deepEqual(
    [...longAccepted].filter((o) => !longInHelp.has(o)),
    [],
    'options the parser accepts that --help does not name',
  );
  assert.deepEqual(
    [...longInHelp].filter((o) => !longAccepted.has(o)),
    [],
    'options --help names that the parser refuses',
  );
  assert.deepEqual([...shortInHelp].sort(), [...shortAccepted].sort(), 'short options');
  const commandsInHelp = new Set([...usage.matchAll(/^ {2}managed-downloads ([a-z-]+)/gm)].map((m) => m[1]));
  assert.deepEqual([...commandsInHelp].sort(), Object.keys(COMMAND_OPTIONS).sort(), 'commands');
  // Each option applies somewhere, and every option a command names exists.
  const applied = new Set([...COMMON_OPTIONS, ...Object.values(COMMAND_OPTIONS).flat()]);
  assert.deepEqual(
    [...longAccepted].filter((o) => !applied.has(o as never)),
    [],
    'options no command takes',
  );
});

test("--limit-rate takes curl's syntax (bytes per second, K/M/G 1024-based) and refuses anything else clearly", () => {
  assert.equal(parseRate('100K'), 100 * 1024);
  assert.equal(parseRate('1M'), 1024 * 1024);
  assert.equal(parseRate('2G'), 2 * 1024 ** 3);
  assert.equal(parseRate('1500'), 1500);
  assert.equal(parseRate('1.5m'), 1.5 * 1024 * 1024);
  for (const bad of ['', '0', 'fast', '-1K', '1X', '10 K', '1e3', 'K']) {
    assert.throws(
      () => parseCommand(['get', 'https://example.com/f', `--limit-rate=${bad}`]),
      (err: unknown) => {
        assert.ok(err instanceof UsageError, bad);
        assert.match(err.message, /--limit-rate needs a rate in bytes per second.*100K, 1M, 2G \(got ".*"\)/);
        return true;
      },
    );
  }
  assert.throws(() => parseCommand(['list', '--limit-rate', '1M']), /--limit-rate does not apply to "list"/);
});

test('an -i list skips blank lines and comments; bad lines are all reported with their numbers', () => {
  assert.deepEqual(urlsFromList('# mirrors\n\nhttps://a.example/x.bin\r\n  http://b.example/y.bin  \n# end\n', 'list.txt'), [
    'https://a.example/x.bin',
    'http://b.example/y.bin',
  ]);
  assert.throws(
    () => urlsFromList('https://a.example/ok\nnot a url\nftp://c.example/z\n\nhttps://user:pw@d.example/w\n', 'list.txt'),
    (err: unknown) => {
      assert.ok(err instanceof UsageError);
      assert.match(
        err.message,
        /^list\.txt has 3 bad lines; nothing was started:\n {2}line 2: "not a url" is not a valid URL\.\n {2}line 3: Cannot download ftp: URLs.*\n {2}line 5: .*carries a user name or password/,
      );
      assert.ok(!err.message.includes(':pw@'), 'credentials are not repeated');
      return true;
    },
  );
  assert.throws(() => urlsFromList('# nothing\n\n', 'empty.txt'), /empty\.txt holds no URL/);
});

test('-o names the file of one URL only; the redirect policy and --security-flags must agree', () => {
  const one = parseCommand(['get', 'https://example.com/f', '-o', 'g.bin', '--dest', '/tmp/d']);
  assert.equal(one.name === 'get' && one.output, 'g.bin');
  assert.throws(
    () => parseCommand(['get', 'https://example.com/f', 'https://example.com/g', '-o', 'x']),
    /-o NAME names the file of one URL/,
  );
  assert.throws(() => parseCommand(['get', 'https://example.com/f', '-i', 'list.txt', '-o', 'x']), /-o NAME names the file of one URL/);
  assert.throws(
    () => parseCommand(['create', '--redirect-policy', 'sometimes']),
    /Unknown redirect policy "sometimes": use allow .*, report .* or disallow/,
  );
  assert.throws(() => parseCommand(['set', 'abc']), /"set" needs at least one setting/);
  assert.throws(() => parseCommand(['set', 'abc', '--header', 'X-A: 1', '--no-headers']), /either --header .* or --no-headers/);
  const job = (argv: string[]) => {
    const c = parseCommand(['create', ...argv]);
    return securityFlagsOf(c.name === 'create' ? c.job : assert.fail());
  };
  assert.equal(job(['--redirect-policy', 'disallow', '--security-flags', '0x8']), 0x208);
  assert.equal(job(['--redirect-policy', 'report', '--security-flags', '0x108']), 0x108);
  assert.throws(
    () => job(['--redirect-policy', 'report', '--security-flags', '0x200']),
    /--security-flags 0x200 already sets a redirect policy \(0x200\) that --redirect-policy contradicts/,
  );
});
