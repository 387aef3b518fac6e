// Writes l10n/bundle.l10n.json, the English bundle translators start from: every string passed to
// vscode.l10n.t(...) in src/ (and to t(...) from src/ui/l10n.ts in modules without vscode), keyed by itself,
// as @vscode/l10n-dev's `export` writes it. `--check` writes nothing and fails when the bundle is stale.
// usage: node scripts/l10n-bundle.mjs [--check]
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const root = join(import.meta.dirname, '..');
const bundlePath = join(root, 'l10n', 'bundle.l10n.json');

function sourceFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

/** `vscode.l10n.t`, `l10n.t`, or `t` imported from the ui/l10n module. */
function isTranslateCall(node, localT) {
  if (!ts.isCallExpression(node)) return false;
  const callee = node.expression.getText();
  return callee === 'vscode.l10n.t' || callee === 'l10n.t' || (localT && callee === 't');
}

export function collectMessages() {
  const messages = new Map();
  const problems = [];
  for (const file of sourceFiles(join(root, 'src'))) {
    const text = readFileSync(file, 'utf8');
    if (!text.includes('l10n')) continue;
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const localT = source.statements.some(
      (s) => ts.isImportDeclaration(s) && /\/l10n['"]$/.test(s.moduleSpecifier.getText()) && s.importClause?.getText().includes('t'),
    );
    const visit = (node) => {
      if (isTranslateCall(node, localT)) {
        const first = node.arguments[0];
        const where = `${relative(root, file)}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
        if (first && (ts.isStringLiteral(first) || ts.isNoSubstitutionTemplateLiteral(first))) messages.set(first.text, first.text);
        else
          problems.push(`${where}: the message must be a string literal (arguments go in {0}, {1}), not ${first?.getText() ?? 'nothing'}`);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  const sorted = Object.fromEntries([...messages].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { bundle: JSON.stringify(sorted, null, 2) + '\n', count: messages.size, problems };
}

if (process.argv[1] === import.meta.filename) {
  const { bundle, count, problems } = collectMessages();
  if (problems.length) {
    console.error(problems.join('\n'));
    process.exit(1);
  }
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(bundlePath, 'utf8');
    } catch {
      // no bundle yet: stale
    }
    if (current !== bundle) {
      console.error('l10n/bundle.l10n.json is out of date: run node scripts/l10n-bundle.mjs');
      process.exit(1);
    }
    console.log(`l10n/bundle.l10n.json is current (${count} messages)`);
  } else {
    writeFileSync(bundlePath, bundle);
    console.log(`wrote l10n/bundle.l10n.json (${count} messages)`);
  }
}
