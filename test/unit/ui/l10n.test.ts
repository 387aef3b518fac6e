// The code's user-facing strings are localizable: l10n/bundle.l10n.json (what translators start from)
// lists every vscode.l10n.t / t message of src/, package.json points VS Code at it, and the lint rule
// refuses a bare string handed to a message or used as a quick input's title, prompt or placeholder.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ESLint } from 'eslint';
import { t } from '../../../src/ui/l10n';

const root = path.join(__dirname, '../../..');

test('l10n/bundle.l10n.json lists exactly the messages of the code (node scripts/l10n-bundle.mjs)', () => {
  const check = spawnSync(process.execPath, [path.join(root, 'scripts', 'l10n-bundle.mjs'), '--check'], { encoding: 'utf8' });
  assert.equal(check.status, 0, check.stderr);
  const count = Number(/\((\d+) messages\)/.exec(check.stdout)?.[1]);
  assert.ok(count > 100, `only ${count} messages`);
  const bundle = JSON.parse(fs.readFileSync(path.join(root, 'l10n', 'bundle.l10n.json'), 'utf8')) as Record<string, string>;
  assert.equal(Object.keys(bundle).length, count);
});

test('package.json points VS Code at the bundle', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { l10n?: string };
  assert.equal(manifest.l10n, './l10n');
});

test('t (for modules without vscode) fills {0}, {1} as vscode.l10n.t does', () => {
  assert.equal(t('"{0}" failed: {1}', 'job', 'reason'), '"job" failed: reason');
  assert.equal(t('{1} then {0} then {0}', 'a', 'b'), 'b then a then a');
  assert.equal(t('no arguments {0}'), 'no arguments {0}');
});

test('the lint rule refuses bare strings in messages, titles, prompts and placeholders, not localized ones', async () => {
  const eslint = new ESLint({ cwd: root });
  const lint = async (code: string) => {
    const [result] = await eslint.lintText(
      `import * as vscode from 'vscode';\nexport async function f(messages: { show(s: string, t: string): void }, name: string): Promise<void> {\n${code}\n}\n`,
      {
        filePath: path.join(root, 'src/ui/commands/view.ts'),
      },
    );
    return result.messages.filter((m) => m.ruleId === 'no-restricted-syntax').length;
  };
  assert.equal(await lint(`void vscode.window.showInformationMessage('Downloaded');`), 1);
  assert.equal(await lint('void vscode.window.showErrorMessage(`"${name}" failed`);'), 1);
  assert.equal(await lint(`messages.show('warning', 'Careful');`), 1);
  assert.equal(await lint(`await vscode.window.showQuickPick(['a'], { title: 'Pick', placeHolder: 'One of them' });`), 2);
  assert.equal(
    await lint(`await vscode.window.showInputBox({ prompt: 'Name', placeHolder: 'https://example.com/file.zip' });`),
    1,
    'an example URL is not text to translate',
  );
  assert.equal(await lint(`void vscode.window.showInformationMessage(vscode.l10n.t('Downloaded {0}', name));`), 0);
  assert.equal(
    await lint(`await vscode.window.showQuickPick(['a'], { title: vscode.l10n.t('Pick'), placeHolder: vscode.l10n.t('One of them') });`),
    0,
  );
});
