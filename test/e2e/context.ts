// What run-e2e.mjs hands to every scenario.
import type { Page } from 'playwright-core';

export interface DemoFileInfo {
  name: string;
  url: string;
  bytes: number;
  sha256: string;
  description: string;
}

export interface E2EContext {
  /** A fresh Chromium page for this scenario. */
  page: Page;
  /** The workbench URL with the workspace folder open. */
  workbenchUrl: string;
  /** The workspace folder code-server opened (a fresh copy of test/e2e/workspace). */
  workspaceFolder: string;
  /** Where the installed .vsix was unpacked (extensions dir). */
  installedExtension: string;
  /** Where this scenario's screenshots go. */
  shotsDir: string;
  /** The demo HTTPS server (127.0.0.2, private CA trusted by the workspace's managedDownloads.extraCaFiles). */
  demo: { origin: string; caFile: string; files: DemoFileInfo[] };
  log(line: string): void;
}

export interface Step {
  name: string;
  run(): Promise<void>;
}

export interface Scenario {
  name: string;
  /** The steps, made for one run; they share state through the closure. */
  steps(ctx: E2EContext): Step[];
}
