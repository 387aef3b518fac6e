// The README's examples (examples/validators and examples/monitoring) as they are in the repository:
// each type-checks against the declarations beside it and does what the README says against a real TLS
// server. Certificates are made at test time, so a copy of each example gets the test's CA files, and
// the pinned examples get the test keys' pins and dates in place of their placeholders (checked to be
// there, so the files stay as documented).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SecurityFlags } from '../../../../src/core/model/job';
import { ambientDeclarations } from '../../../../src/validator/authoring/declarations';
import { makeCA, makeIntermediate, makeLeaf, type Issued } from '../../../support/certs';
import { REPO, runCli } from '../../../support/cli';
import { chainFor, checkHost, makePki, pinOf, startSniServer, strangerPin, tempDir, verdictOf, type Pki, type SniServer } from './fixtures';
import { describeProblems, typecheck } from './typecheck';

const EXAMPLES = join(REPO, 'examples', 'validators');
const PLACEHOLDER_PIN = 'sha256/lr4TBP7oYCfC+n87lslHX+llLeT7ck8ZliVV5RP1vCA=';
const PLACEHOLDER_BACKUP = 'sha256/I/AbicFDA/zN3ytG8ljuCXeuNuPHls76jkjrnugRCt0=';
const PLACEHOLDER_DATE = "'2027-06-30'";

let pki: Pki;
let server: SniServer;
/** The CA that will issue the pinned host's certificates after a key rotation: its key is the backup pin. */
let nextIssuer: Issued;
const work = tempDir('md-examples-');

function day(offsetDays: number): string {
  return new Date(Date.now() + offsetDays * 24 * 3600 * 1000).toISOString().slice(0, 10);
}

/** A copy of the examples with the test's certificates, and `edits` applied to `name`. */
function examples(copy: string, name: string, edits: [string, string][] = []): string {
  const dir = join(work.dir, copy);
  cpSync(EXAMPLES, dir, { recursive: true });
  writeFileSync(join(dir, 'corp-ca.pem'), pki.corpCa.cert);
  writeFileSync(join(dir, 'inspection-root.pem'), pki.inspectionCa.cert);
  const file = join(dir, name);
  let text = readFileSync(file, 'utf8');
  for (const [from, to] of edits) {
    assert.ok(text.includes(from), `${name} still has ${from}`);
    text = text.split(from).join(to);
  }
  writeFileSync(file, text);
  return file;
}

before(async () => {
  pki = makePki();
  nextIssuer = makeIntermediate(pki.publicCa, 'Test Next Issuing CA');
  server = await startSniServer(chainFor('public.example', pki.publicCa, [pki.publicIntermediate]));
  for (const host of ['downloads.example.com', 'eu.cdn.example.com'])
    server.serve(host, chainFor(host, pki.publicCa, [pki.publicIntermediate]));
  server.serve('rotated.cdn.example.com', chainFor('rotated.cdn.example.com', pki.publicCa, [nextIssuer]));
  server.serve('build.corp.example', chainFor('build.corp.example', pki.corpCa));
  server.serve('deep.build.corp.example', chainFor('deep.build.corp.example', pki.corpCa));
  server.serve('stranger.example', chainFor('stranger.example', makeCA('Someone Else CA')));
  for (const host of ['artifacts.vendor.example', 'eu.mirror.example', 'bank.example'])
    server.serve(host, chainFor(host, pki.inspectionCa));
});
after(async () => {
  await server.close();
  work.cleanup();
});

describe('README examples', () => {
  test('every example type-checks against the declarations beside it, which are the ones the extension writes', () => {
    assert.equal(
      readFileSync(join(EXAMPLES, 'managed-downloads-validator.d.ts'), 'utf8'),
      ambientDeclarations(),
      "examples/validators/managed-downloads-validator.d.ts is stale: regenerate it with npx tsx -e \"require('fs').writeFileSync('examples/validators/managed-downloads-validator.d.ts', require('./src/validator/authoring/declarations').ambientDeclarations())\"",
    );
    const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
    assert.deepEqual(files.sort(), ['inspection-root.ts', 'pinned-host.ts', 'private-ca.ts', 'report-only.ts']);
    const problems = typecheck(files.map((f) => join(EXAMPLES, f)));
    assert.equal(problems.length, 0, describeProblems(problems));
  });

  test('private-ca.ts: *.corp.example is trusted through the private CA (the job allowing unknown CAs); deeper names and other unknown CAs are not', async () => {
    const file = examples('private-ca', 'private-ca.ts');
    const flags = { validatorFile: file, securityFlags: SecurityFlags.IGNORE_UNKNOWN_CA };
    assert.equal(verdictOf(await checkHost(server, pki, 'build.corp.example', flags)).verdict, 'accept');
    assert.equal(verdictOf(await checkHost(server, pki, 'deep.build.corp.example', flags)).verdict, 'decline', "'*.' is one label");
    assert.equal(verdictOf(await checkHost(server, pki, 'stranger.example', flags)).verdict, 'decline');
    assert.equal(verdictOf(await checkHost(server, pki, 'public.example', flags)).verdict, 'accept');
  });

  test("pinned-host.ts: its hosts are accepted with the issuing CA's key, and after a rotation to the backup key; any other key is declined with the pins listed; past its date it stops applying", async () => {
    const pinned = (copy: string, date: string) =>
      examples(copy, 'pinned-host.ts', [
        [PLACEHOLDER_PIN, pinOf(pki.publicIntermediate)],
        [PLACEHOLDER_BACKUP, pinOf(nextIssuer)],
        [PLACEHOLDER_DATE, `'${date}'`],
      ]);
    const file = pinned('pinned', day(200));
    for (const host of ['downloads.example.com', 'eu.cdn.example.com', 'rotated.cdn.example.com']) {
      const v = verdictOf(await checkHost(server, pki, host, { validatorFile: file }));
      assert.equal(v.verdict, 'accept', host);
      assert.equal(v.log, '', 'far from its expiry: nothing logged');
    }
    const other = pinned('pinned-other', day(200));
    writeFileSync(other, readFileSync(other, 'utf8').replace(pinOf(nextIssuer), strangerPin(21)));
    const declined = verdictOf(await checkHost(server, pki, 'rotated.cdn.example.com', { validatorFile: other }));
    assert.equal(declined.verdict, 'decline');
    assert.match(
      declined.reason,
      /certificate pinning failure for rotated\.cdn\.example\.com:\d+: the server's chain has sha256\/.*\(CN=rotated\.cdn\.example\.com.*expects one of .* \(backup\)/,
    );

    const soon = verdictOf(await checkHost(server, pki, 'downloads.example.com', { validatorFile: pinned('pinned-soon', day(12)) }));
    assert.match(soon.log, /expires in 1[23] day\(s\)/);
    const past = pinned('pinned-past', day(-1));
    writeFileSync(past, readFileSync(past, 'utf8').replace(pinOf(pki.publicIntermediate), strangerPin(22)));
    const expired = verdictOf(await checkHost(server, pki, 'downloads.example.com', { validatorFile: past }));
    assert.equal(expired.verdict, 'accept', 'an expired set no longer pins');
    assert.match(expired.log, /expired on .* and no longer applies/);
  });

  test('inspection-root.ts: re-signed connections are accepted for the cleared hosts only, even with the root in the trust store', async () => {
    const file = examples('inspection', 'inspection-root.ts');
    const behindProxy = { ...pki, publicCa: { ...pki.publicCa, cert: pki.publicCa.cert + pki.inspectionCa.cert } };
    for (const host of ['artifacts.vendor.example', 'eu.mirror.example'])
      assert.equal(verdictOf(await checkHost(server, behindProxy, host, { validatorFile: file })).verdict, 'accept', host);
    const bank = verdictOf(await checkHost(server, behindProxy, 'bank.example', { validatorFile: file }));
    assert.equal(bank.verdict, 'decline');
    assert.match(bank.reason, /is intercepted/);
    assert.equal(verdictOf(await checkHost(server, behindProxy, 'public.example', { validatorFile: file })).verdict, 'accept');
  });

  test('report-only.ts: nothing is declined; what would be is logged with its reason', async () => {
    const file = examples('report-only', 'report-only.ts');
    const pinned = verdictOf(await checkHost(server, pki, 'downloads.example.com', { validatorFile: file }));
    assert.equal(pinned.verdict, 'accept');
    assert.match(pinned.log, /\[report-only\] would decline downloads\.example\.com:\d+ \(0x800b0109\): certificate pinning failure/);
    const stranger = verdictOf(
      await checkHost(server, pki, 'stranger.example', { validatorFile: file, securityFlags: SecurityFlags.IGNORE_UNKNOWN_CA }),
    );
    assert.equal(stranger.verdict, 'accept');
    assert.match(stranger.log, /\[report-only\] would decline stranger\.example:\d+ .*unknown CA/);
    assert.equal(
      verdictOf(await checkHost(server, pki, 'build.corp.example', { validatorFile: file, securityFlags: SecurityFlags.IGNORE_UNKNOWN_CA }))
        .log,
      '',
      'the private CA vouches: nothing to report',
    );
  });

  test('monitoring/rejection-rate.mjs: from `managed-downloads rejections --json`, a server that keeps failing is a flood (exit 1) and a one-off is not', async () => {
    const caFile = join(work.dir, 'public-ca.pem');
    writeFileSync(caFile, pki.publicCa.cert);
    const store = join(work.dir, 'store');
    const validator = examples('monitoring', 'pinned-host.ts', [[PLACEHOLDER_PIN, strangerPin(23)]]);
    // The CLI connects to 127.0.0.1: serve the pinned name's certificate there too, and pin that address.
    writeFileSync(
      validator,
      readFileSync(validator, 'utf8').replace("hosts: ['downloads.example.com', '*.cdn.example.com']", "hosts: ['127.0.0.1']"),
    );
    const leaf = makeLeaf(pki.publicIntermediate, { hosts: ['127.0.0.1'] });
    const flooded = await startSniServer({ leaf, chain: [pki.publicIntermediate] });
    const once = await startSniServer({ leaf, chain: [pki.publicIntermediate] });
    try {
      const get = (port: number) =>
        runCli(
          [
            'get',
            `https://127.0.0.1:${port}/a.bin`,
            '--dest',
            join(work.dir, 'dest'),
            '--store',
            store,
            '--validator',
            validator,
            '--no-progress-timeout',
            '0',
            '--overwrite',
          ],
          { NODE_EXTRA_CA_CERTS: caFile },
        );
      // One after another: a store is used by one process at a time.
      for (const port of [flooded.port, flooded.port, once.port]) {
        const r = await get(port);
        assert.equal(r.code, 1, r.stderr);
      }
      const json = await runCli(['rejections', '--store', store, '--json']);
      assert.equal(json.code, 0, json.stderr);
      const watched = spawnSync(process.execPath, [join(REPO, 'examples', 'monitoring', 'rejection-rate.mjs'), '--max-per-hour', '60'], {
        input: json.stdout,
        encoding: 'utf8',
      });
      assert.equal(watched.status, 1, watched.stderr);
      assert.match(
        watched.stdout,
        new RegExp(`^FLOOD  127\\.0\\.0\\.1:${flooded.port}  2 rejections in 1 min \\(120/h\\); 1 certificate\\(s\\); validator 2`, 'm'),
      );
      assert.match(watched.stdout, new RegExp(`^ok     127\\.0\\.0\\.1:${once.port}  1 rejection \\(one-off\\)`, 'm'));
      assert.match(watched.stdout, /last: .*certificate pinning failure/);
      const calm = spawnSync(process.execPath, [join(REPO, 'examples', 'monitoring', 'rejection-rate.mjs'), '--max-per-hour', '1000'], {
        input: json.stdout,
        encoding: 'utf8',
      });
      assert.equal(calm.status, 0);
    } finally {
      await flooded.close();
      await once.close();
    }
  });
});
