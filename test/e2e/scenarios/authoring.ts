// A team that must trust its own servers (issue 6): from the empty Jobs view's "Create Certificate
// Validator" link to a typed validator file (the editor's hover knows the helper module), then "Test
// Certificate Validator on URL..." against the demo HTTPS server: the dry-run report in the Markdown
// preview, with the chain, phase 1 and the validator's verdict. Nothing is downloaded. At the end the
// setting and the files are removed, so the scenarios after this one start without a validator.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import type { E2EContext, Scenario } from '../context';
import { Workbench } from '../workbench';

/** The frame (a webview's, nested) whose text contains `text`. */
async function frameWithText(page: Page, text: string, timeout = 30_000): Promise<Frame> {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      const body = await frame
        .locator('body')
        .innerText({ timeout: 500 })
        .catch(() => '');
      if (body.includes(text)) return frame;
    }
    await page.waitForTimeout(250);
  }
  throw new Error(`no frame shows "${text}" within ${timeout / 1000} s`);
}

export const authoring: Scenario = {
  name: 'validator authoring',
  steps(ctx: E2EContext) {
    const wb = new Workbench(ctx.page, ctx.shotsDir, ctx.log);
    const page = ctx.page;
    const validatorFile = join(ctx.workspaceFolder, '.vscode', 'download-validator.ts');
    const url = ctx.demo.files[0].url;

    return [
      {
        name: 'the empty Jobs view offers "Create Certificate Validator" when no validator is set',
        run: async () => {
          await wb.open(ctx.workbenchUrl);
          await wb.waitForActivityBarItem('Managed Downloads');
          await wb.openViewContainer('Managed Downloads');
          await wb.welcomeButton('Jobs', 'Check servers', 'Create Certificate Validator');
          await wb.screenshot('welcome-create-validator');
        },
      },
      {
        name: 'the link writes .vscode/download-validator.ts from the template and opens it',
        run: async () => {
          await (await wb.welcomeButton('Jobs', 'Check servers', 'Create Certificate Validator')).click();
          await page
            .locator('.quick-input-widget .monaco-list-row', { hasText: '.vscode/download-validator.ts' })
            .first()
            .waitFor({ timeout: 10_000 });
          await wb.screenshot('where-to-create');
          await page.keyboard.press('Enter');
          await page.locator('.tabs-container .tab', { hasText: 'download-validator.ts' }).first().waitFor({ timeout: 15_000 });
          await page.locator('.monaco-editor .view-lines', { hasText: 'certificatePolicy' }).first().waitFor({ timeout: 15_000 });
          if (!existsSync(validatorFile)) throw new Error(`${validatorFile} was not written`);
          const settings = readFileSync(join(ctx.workspaceFolder, '.vscode', 'settings.json'), 'utf8');
          if (!settings.includes('"managedDownloads.certificateValidator": ".vscode/download-validator.ts"'))
            throw new Error(`the setting was not set: ${settings}`);
          await wb.screenshot('template-open');
        },
      },
      {
        name: 'hovering pinSet shows its type and documentation (the declarations beside the file, nothing installed)',
        run: async () => {
          // Put the cursor on `pinSet(` with Find, then ask for the hover at the cursor.
          await page.locator('.monaco-editor .view-lines').first().click();
          await page.keyboard.press('Control+F');
          await page.keyboard.type('pinSet({');
          await page.keyboard.press('Escape');
          await page.keyboard.press('ArrowLeft');
          const hover = page.locator('.monaco-hover:visible', { hasText: 'PinSetOptions' }).first();
          for (let attempt = 0; attempt < 20 && !(await hover.isVisible().catch(() => false)); attempt++) {
            await wb.runCommand('Show or Focus Hover');
            await hover.waitFor({ timeout: 3_000 }).catch(() => undefined);
          }
          await hover.waitFor({ timeout: 5_000 });
          await wb.screenshot('hover-pinSet');
          await page.keyboard.press('Escape');
        },
      },
      {
        name: '"Test Certificate Validator on URL..." shows the dry-run report for the demo server in the Markdown preview',
        run: async () => {
          await wb.runCommand('Managed Downloads: Test Certificate Validator on URL...', async () => {
            await page
              .locator('.quick-input-widget input[placeholder="https://downloads.example.com/file.zip"]')
              .waitFor({ timeout: 5_000 });
          });
          await page.locator('.quick-input-widget input').fill(url);
          await wb.screenshot('test-url');
          await page.keyboard.press('Enter');
          await page
            .locator('.quick-input-widget .monaco-list-row', { hasText: 'Allow unknown CA (0x8)' })
            .first()
            .waitFor({ timeout: 10_000 });
          await page.keyboard.press('Enter');
          await page.locator('.tabs-container .tab', { hasText: 'Certificate check' }).first().waitFor({ timeout: 30_000 });
          const frame = await frameWithText(page, 'Phase 2, the validator');
          const text = await frame.locator('body').innerText();
          for (const expected of [
            'Certificate check: ' + url,
            'Accepted by both phases',
            'no HTTP request was sent',
            'SPKI sha256 (pin):',
            'Phase 1, the platform check: passed',
            'Time taken:',
          ]) {
            if (!text.includes(expected)) throw new Error(`the report does not show "${expected}":\n${text.slice(0, 1500)}`);
          }
          await page.waitForTimeout(500);
          await wb.screenshot('dry-run-report');
          await frame
            .locator('body')
            .evaluate((body) =>
              (
                body as unknown as { ownerDocument: { defaultView: { scrollTo(x: number, y: number): void } } }
              ).ownerDocument.defaultView.scrollTo(0, 100_000),
            );
          await page.waitForTimeout(300);
          await wb.screenshot('dry-run-report-verdict');
        },
      },
      {
        name: 'clean up: the setting and the validator files are removed for the scenarios that follow',
        run: async () => {
          const settingsFile = join(ctx.workspaceFolder, '.vscode', 'settings.json');
          const settings = JSON.parse(readFileSync(settingsFile, 'utf8')) as Record<string, unknown>;
          delete settings['managedDownloads.certificateValidator'];
          writeFileSync(settingsFile, JSON.stringify(settings, null, 2) + '\n');
          await wb.runCommand('View: Close All Editors');
          rmSync(validatorFile, { force: true });
          rmSync(join(ctx.workspaceFolder, '.vscode', 'managed-downloads-validator.d.ts'), { force: true });
          await wb.welcomeButton('Jobs', 'Check servers', 'Create Certificate Validator');
        },
      },
    ];
  },
};
