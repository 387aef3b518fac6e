// What "Create Certificate Validator" writes: the template and the declarations beside it. The template
// type-checks against the declarations alone (what the editor sees), loads in the worker, and behaves as
// its comments say against a real TLS server; the declarations are refreshed after an update, never over
// a file the user wrote.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Codes } from '../../../../src/core/errors';
import { SecurityFlags } from '../../../../src/core/model/job';
import {
  ambientDeclarations,
  DECLARATIONS_FILE,
  refreshDeclarations,
  REFERENCE_LINE,
} from '../../../../src/validator/authoring/declarations';
import { DEFAULT_VALIDATOR_PATH, scaffoldValidator } from '../../../../src/validator/authoring/scaffold';
import * as helper from '../../../../src/validator/helper';
import { makeCA } from '../../../support/certs';
import { chainFor, checkHost, makePki, startSniServer, tempDir, verdictOf, type Pki, type SniServer } from './fixtures';
import { describeProblems, typecheck } from './typecheck';

let pki: Pki;
let server: SniServer;
const work = tempDir();

before(async () => {
  pki = makePki();
  server = await startSniServer(chainFor('downloads.example.com', pki.publicCa, [pki.publicIntermediate]));
  server.serve('build.corp.example', chainFor('build.corp.example', pki.corpCa));
  server.serve('stranger.example', chainFor('stranger.example', makeCA('Someone Else CA')));
});
after(async () => {
  await server.close();
  work.cleanup();
});

describe('the validator template', () => {
  test('is written with its declarations beside it, and type-checks with nothing else (strict, no unused names)', () => {
    const { validatorFile, declarationsFile } = scaffoldValidator(join(work.dir, 'ws', DEFAULT_VALIDATOR_PATH));
    assert.equal(declarationsFile, join(work.dir, 'ws', '.vscode', DECLARATIONS_FILE));
    const text = readFileSync(validatorFile, 'utf8');
    assert.ok(text.startsWith(REFERENCE_LINE + '\n'), 'the reference line comes first');
    assert.match(text, /backupPins: \['sha256\//);
    assert.match(text, /reportOnly: true/);
    assert.match(text, /privateCa\(\{ hosts: \['\*\*\.corp\.example'\]/);
    assert.match(text, /inspectionRoot\(/);
    assert.match(text, /expires: '\d{4}-\d\d-\d\d'/);
    const problems = typecheck([validatorFile]);
    assert.equal(problems.length, 0, describeProblems(problems));
  });

  test('as written it loads and accepts: its pin set only reports; a host vouched for by nobody under 0x8 is declined', async () => {
    const { validatorFile } = scaffoldValidator(join(work.dir, 'as-is', DEFAULT_VALIDATOR_PATH));
    const pinned = await checkHost(server, pki, 'downloads.example.com', { validatorFile });
    const v = verdictOf(pinned);
    assert.equal(v.verdict, 'accept');
    assert.match(v.log, /\[report-only\] pin set for downloads\.example\.com would decline .*sha256\/AAAAAAAA/);
    assert.doesNotMatch(v.log, /expire/, 'a fresh template is far from its expiry date');
    const stranger = verdictOf(
      await checkHost(server, pki, 'stranger.example', { validatorFile, securityFlags: SecurityFlags.IGNORE_UNKNOWN_CA }),
    );
    assert.equal(stranger.verdict, 'decline');
    assert.match(stranger.reason, /add privateCa\(\{ hosts, roots \}\) for it/);
  });

  test('pasting a CA certificate into CORP_CA_PEM trusts it for **.corp.example (the job allowing unknown CAs)', async () => {
    const { validatorFile } = scaffoldValidator(join(work.dir, 'corp', DEFAULT_VALIDATOR_PATH));
    const text = readFileSync(validatorFile, 'utf8');
    assert.ok(text.includes('const CORP_CA_PEM = ``;'));
    writeFileSync(validatorFile, text.replace('const CORP_CA_PEM = ``;', `const CORP_CA_PEM = \`${pki.corpCa.cert}\`;`));
    const before = verdictOf(
      await checkHost(server, pki, 'build.corp.example', {
        validatorFile: scaffoldValidator(join(work.dir, 'corp-empty', DEFAULT_VALIDATOR_PATH)).validatorFile,
        securityFlags: SecurityFlags.IGNORE_UNKNOWN_CA,
      }),
    );
    assert.equal(before.verdict, 'decline', 'without the CA nobody vouches for the host');
    const after = verdictOf(
      await checkHost(server, pki, 'build.corp.example', { validatorFile, securityFlags: SecurityFlags.IGNORE_UNKNOWN_CA }),
    );
    assert.equal(after.verdict, 'accept');
  });

  test('an existing file is never overwritten unless asked; a path that is not .ts is refused', () => {
    const file = join(work.dir, 'exists', 'mine.ts');
    scaffoldValidator(file);
    writeFileSync(file, '// mine\n');
    assert.throws(
      () => scaffoldValidator(file),
      (e: Error & { code?: number }) => e.code === Codes.E_FILE_EXISTS && /already exists/.test(e.message),
    );
    assert.equal(readFileSync(file, 'utf8'), '// mine\n');
    scaffoldValidator(file, { overwrite: true });
    assert.ok(readFileSync(file, 'utf8').startsWith(REFERENCE_LINE));
    assert.throws(
      () => scaffoldValidator(join(work.dir, 'x', 'validator.js')),
      (e: Error & { code?: number }) => e.code === Codes.E_INVALIDARG && /TypeScript file/.test(e.message),
    );
  });
});

describe('the declarations beside the validator', () => {
  test('declare every export of the helper module, and the .pem/.der imports', () => {
    const text = ambientDeclarations();
    assert.ok(text.startsWith('// Generated by Managed Downloads'));
    assert.match(text, /declare module 'managed-downloads\/validator' \{/);
    for (const name of Object.keys(helper)) assert.match(text, new RegExp(`export (const|function) ${name}\\b`), name);
    for (const ext of ['pem', 'crt', 'der', 'cer']) assert.ok(text.includes(`declare module '*.${ext}'`), ext);
    assert.doesNotMatch(text, /export declare/, 'no `declare` inside the ambient module');
  });

  test('a stale generated copy is refreshed, a missing one written back, a file the user wrote kept; a validator without the reference is left alone', () => {
    const dir = join(work.dir, 'refresh');
    const { validatorFile, declarationsFile } = scaffoldValidator(join(dir, 'v.ts'));
    assert.equal(refreshDeclarations(validatorFile), undefined, 'up to date');
    writeFileSync(declarationsFile, ambientDeclarations().replace('hostMatches', 'hostMatchesOld'));
    assert.equal(refreshDeclarations(validatorFile), declarationsFile);
    assert.equal(readFileSync(declarationsFile, 'utf8'), ambientDeclarations());
    writeFileSync(declarationsFile, '// my own declarations\n');
    assert.equal(refreshDeclarations(validatorFile), undefined);
    assert.equal(readFileSync(declarationsFile, 'utf8'), '// my own declarations\n');

    const bare = join(work.dir, 'bare');
    const other = scaffoldValidator(join(bare, 'v.ts'));
    writeFileSync(other.validatorFile, 'export default () => 0;\n');
    writeFileSync(other.declarationsFile, 'stale');
    assert.equal(refreshDeclarations(other.validatorFile), undefined);
    const gone = join(work.dir, 'gone');
    const third = scaffoldValidator(join(gone, 'v.ts'));
    rmSync(third.declarationsFile);
    assert.equal(
      refreshDeclarations(third.validatorFile),
      third.declarationsFile,
      'a teammate who has the validator but not the declarations gets them',
    );
    assert.equal(readFileSync(third.declarationsFile, 'utf8'), ambientDeclarations());
  });
});
