// The extension as VS Code sees it, for the integration tests.
import * as vscode from 'vscode';

export const EXTENSION_ID = 'managed-downloads.managed-downloads';

export interface ContributedCommand {
  command: string;
  title: string;
  category?: string;
}

export function extensionUnderTest(): vscode.Extension<unknown> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  if (!ext) throw new Error(`${EXTENSION_ID} is not loaded in this VS Code (extensionDevelopmentPath not passed?)`);
  return ext;
}

/** The package.json VS Code read for the extension (what it contributes). */
export function manifest(): { contributes?: Record<string, unknown>; engines: { vscode: string } } {
  return extensionUnderTest().packageJSON as { contributes?: Record<string, unknown>; engines: { vscode: string } };
}

export async function activated(): Promise<vscode.Extension<unknown>> {
  const ext = extensionUnderTest();
  await ext.activate();
  return ext;
}
