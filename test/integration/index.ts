// The tests module VS Code loads into the extension host (extensionTestsPath). VS Code calls run();
// when it resolves the run passed, when it rejects the run failed. It runs mocha over the suite's
// compiled *.test.js files and writes one line per test, then `N passed, N failed`, to the results file
// as it goes, so the runner outside can print progress and still has the lines if VS Code hangs.
import { appendFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import Mocha from 'mocha';
import * as vscode from 'vscode';
import { testFixture } from './fixture';

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').slice(0, 500);
}

function describeError(err: unknown): string {
  if (err instanceof Error) {
    const frames = (err.stack ?? '')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith('at '));
    const stack = frames
      .slice(0, 5)
      .map((l) => `      ${l}`)
      .join('\n');
    return `${oneLine(err.message)}${stack ? `\n${stack}` : ''}`;
  }
  return oneLine(String(err));
}

export async function run(): Promise<void> {
  process.setSourceMapsEnabled(true);
  const fixture = testFixture();
  const out = fixture.resultsFile;
  writeFileSync(out, '');
  const line = (text: string) => appendFileSync(out, text + '\n');
  let passed = 0;
  let failed = 0;
  let pending = 0;

  // Both interfaces: describe/it/before/after (bdd) and suite/test/suiteSetup/setup (tdd).
  const mocha = new Mocha({ ui: 'bdd', timeout: fixture.testTimeoutMs, color: false, reporter: 'base' });
  Mocha.interfaces.tdd(mocha.suite);
  if (fixture.grep) mocha.grep(fixture.grep);

  // Loaded one by one so a file that throws at load time is reported by name and the others still run.
  for (const file of fixture.suiteFiles) {
    try {
      mocha.suite.emit('pre-require', globalThis, file, mocha);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      mocha.suite.emit('require', require(file), file, mocha);
      mocha.suite.emit('post-require', globalThis, file, mocha);
    } catch (err) {
      failed++;
      line(`not ok - loading ${basename(file)}: ${describeError(err)}`);
    }
  }
  mocha.files = []; // loaded above; run() would require them again otherwise

  await new Promise<void>((resolve) => {
    const runner = mocha.run(() => resolve());
    runner.on('pass', (test) => {
      passed++;
      line(`ok - ${test.fullTitle()} (${test.duration ?? 0} ms)`);
    });
    runner.on('fail', (test, err) => {
      failed++;
      line(`not ok - ${test.fullTitle()}: ${describeError(err)}`);
    });
    runner.on('pending', (test) => {
      pending++;
      line(`skip - ${test.fullTitle()}`);
    });
  });

  if (passed + failed === 0) {
    failed++;
    line(`not ok - no test ran in suite "${fixture.suite}" (files: ${fixture.suiteFiles.map((f) => basename(f)).join(', ') || 'none'})`);
  }
  line(
    `# ${fixture.runner}: VS Code ${vscode.version}, Node ${process.version}, workspace ${fixture.trusted ? 'trusted' : 'untrusted'}${pending ? `, ${pending} skipped` : ''}`,
  );
  const summary = `${passed} passed, ${failed} failed`;
  line(summary);
  if (failed > 0) throw new Error(summary);
}
