// What the runner (scripts/run-integration.mjs or electron.mjs) tells the tests inside the extension host.
// It writes a JSON file and passes its path in MANAGED_DOWNLOADS_TEST_FIXTURE; the extension host
// inherits that variable from the server that spawned it.
import { readFileSync } from 'node:fs';

export const FIXTURE_ENV = 'MANAGED_DOWNLOADS_TEST_FIXTURE';

export interface IntegrationFixture {
  /** Which VS Code runs the tests. */
  runner: 'code-server' | 'electron';
  /** The suite being run ('trusted', 'untrusted'). */
  suite: string;
  /** The compiled test files of this suite, in order. */
  suiteFiles: string[];
  /** The workspace folder VS Code opened: a fresh copy of test/integration/workspace. */
  workspaceFolder: string;
  /** Whether the workspace was opened trusted (the runner's launch mode); tests may assert it. */
  trusted: boolean;
  /** Where run() writes per-test lines and the `N passed, N failed` summary. */
  resultsFile: string;
  /** A fresh folder tests may use for anything (servers' files, stores); removed after the run. */
  scratchDir: string;
  /**
   * The address test servers bind inside VS Code. Not 127.0.0.1 or localhost: VS Code's proxy support
   * treats those two differently from every real host, so tests there would prove nothing.
   */
  serverHost: string;
  /** Mocha's per-test timeout. */
  testTimeoutMs: number;
  /** Only tests whose full title matches this (from `--grep`). */
  grep?: string;
}

let cached: IntegrationFixture | undefined;

/** The fixture of this run; throws a clear error when the tests were started without a runner. */
export function testFixture(): IntegrationFixture {
  if (cached) return cached;
  const file = process.env[FIXTURE_ENV];
  if (!file) {
    throw new Error(
      `${FIXTURE_ENV} is not set: run the integration tests with \`npm run test:integration\` (or \`npm run test:electron\`), which starts VS Code with it.`,
    );
  }
  cached = JSON.parse(readFileSync(file, 'utf8')) as IntegrationFixture;
  return cached;
}
