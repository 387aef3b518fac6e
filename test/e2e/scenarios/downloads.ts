// What a new user does with downloads (issue 5): New Download from the palette for files on the demo HTTPS
// server, watch one progress in the Jobs tree, suspend and resume it with the tree's buttons, reload the
// window in the middle of the transfer and see it continue to the right bytes, cancel another from the
// context menu. Every step checks the tree as a person reads it and, where it matters, the bytes on disk.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import type { DemoFileInfo, E2EContext, Scenario } from '../context';
import { Workbench } from '../workbench';

const MINUTE = 60_000;

export async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The Jobs view's rows, as a person sees them: label and description. */
export class JobsView {
  constructor(
    private readonly page: Page,
    private readonly wb: Workbench,
  ) {}

  row(label: string): Locator {
    return this.wb
      .viewPane('Jobs')
      .locator('.monaco-list-row', { has: this.page.locator('.label-name', { hasText: label }) })
      .first();
  }

  async description(label: string): Promise<string> {
    return (
      (await this.row(label)
        .locator('.label-description')
        .first()
        .textContent()
        .catch(() => '')) ?? ''
    ).trim();
  }

  /** Waits until the newest row labelled `label` has a description matching `pattern`; returns it. */
  async waitFor(label: string, pattern: RegExp, timeout = MINUTE): Promise<string> {
    const deadline = Date.now() + timeout;
    let seen = '';
    while (Date.now() < deadline) {
      seen = await this.description(label);
      if (pattern.test(seen)) return seen;
      await this.page.waitForTimeout(250);
    }
    throw new Error(`the Jobs view did not show "${label}" as ${pattern} within ${timeout / 1000} s; it showed "${seen}"`);
  }

  /** Clicks one of the row's inline buttons (they show on hover), by its title. */
  async inlineAction(label: string, title: string): Promise<void> {
    const row = this.row(label);
    await row.hover();
    await row.locator(`.actions .action-label[aria-label="${title}"]`).first().click();
  }

  /** Opens the row's context menu and picks `item` (pointed at, then Enter: the menu acts on key or mouse-up). */
  async contextMenu(label: string, item: string): Promise<void> {
    await this.row(label).click({ button: 'right' });
    const entry = this.page.locator('.context-view .monaco-menu .action-item', { hasText: item }).first();
    await entry.hover();
    await this.page.keyboard.press('Enter');
  }
}

/** Runs "Managed Downloads: New Download..." and answers its questions: the URL, then the default folder. */
export async function newDownload(wb: Workbench, page: Page, url: string, shot?: string): Promise<void> {
  await wb.runCommand('Managed Downloads: New Download...', async () => {
    await page.locator('.quick-input-widget input[placeholder="https://example.com/file.zip"]').waitFor({ timeout: 5_000 });
  });
  const input = page.locator('.quick-input-widget input');
  await input.fill(url);
  if (shot) await wb.screenshot(shot);
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'default download folder' }).first().waitFor({ timeout: 10_000 });
  await page.keyboard.press('Enter');
}

/** Shows the Jobs view whatever layout the window restored (after a reload the side bar may be hidden). */
export async function showJobsView(wb: Workbench): Promise<void> {
  const pane = wb.viewPane('Jobs');
  if (
    await pane.waitFor({ timeout: 5_000 }).then(
      () => true,
      () => false,
    )
  )
    return;
  await wb.runCommand('Managed Downloads: Focus on Jobs View');
  await pane.waitFor({ timeout: 10_000 });
}

export function demoFile(ctx: E2EContext, namePart: string): DemoFileInfo {
  const file = ctx.demo.files.find((f) => f.name.includes(namePart));
  if (!file) throw new Error(`the demo server has no file like ${namePart}: ${ctx.demo.files.map((f) => f.name).join(', ')}`);
  return file;
}

export const downloads: Scenario = {
  name: 'downloads',
  steps(ctx: E2EContext) {
    const wb = new Workbench(ctx.page, ctx.shotsDir, ctx.log);
    const page = ctx.page;
    const jobs = new JobsView(page, wb);
    const downloadsDir = join(ctx.workspaceFolder, 'downloads');
    const small = demoFile(ctx, 'small');
    const large = demoFile(ctx, 'large');
    let percentBeforeReload = 0;

    return [
      {
        name: 'the Jobs view opens',
        run: async () => {
          await wb.open(ctx.workbenchUrl);
          await wb.waitForActivityBarItem('Managed Downloads');
          await showJobsView(wb);
        },
      },
      {
        name: 'New Download from the palette: the file arrives whole in downloads/ and the job shows Completed',
        run: async () => {
          await newDownload(wb, page, small.url, 'new-download-url');
          await jobs.waitFor(small.name, /^Completed · 1 file/);
          await wb.screenshot('small-completed');
          const file = join(downloadsDir, small.name);
          if (!existsSync(file)) throw new Error(`${file} is missing`);
          const digest = await sha256Of(file);
          if (digest !== small.sha256) throw new Error(`${small.name}: sha256 ${digest}, expected ${small.sha256}`);
        },
      },
      {
        name: 'a large download shows its progress in the tree and the status bar',
        run: async () => {
          await newDownload(wb, page, large.url);
          await jobs.waitFor(large.name, /^\d+% · [\d.]+ [KMG]B\/s · 1 file · .* left$/);
          await page.locator('.statusbar-item', { hasText: '1 download' }).first().waitFor({ timeout: 10_000 });
          await wb.screenshot('large-progress');
        },
      },
      {
        name: "Suspend and Resume with the job's inline buttons",
        run: async () => {
          await jobs.inlineAction(large.name, 'Suspend Job');
          await jobs.waitFor(large.name, /^Suspended · \d+% · 1 file$/, 15_000);
          await wb.screenshot('large-suspended');
          await jobs.inlineAction(large.name, 'Resume Job');
          await jobs.waitFor(large.name, /^\d+% · /, 15_000);
          await wb.screenshot('large-resumed');
        },
      },
      {
        name: 'the window reloads in the middle of the transfer and the job continues from where it was',
        run: async () => {
          const before = await jobs.waitFor(large.name, /^\d+% · /);
          percentBeforeReload = Number(/^(\d+)%/.exec(before)![1]);
          // A mark on the old page tells when the reload has really replaced it.
          await page.evaluate('window.__managedDownloadsBeforeReload = true');
          await wb.runCommand('Developer: Reload Window');
          await page.waitForFunction('!window.__managedDownloadsBeforeReload', undefined, { timeout: MINUTE });
          await page.waitForSelector('.monaco-workbench .part.activitybar', { timeout: MINUTE });
          await wb.waitForActivityBarItem('Managed Downloads');
          await showJobsView(wb);
          const after = await jobs.waitFor(large.name, /^(\d+% · |Queued|Connecting)/);
          await wb.screenshot('after-reload');
          ctx.log(`    before the reload: "${before}"; after: "${after}"`);
          const resumedAt = await jobs.waitFor(large.name, /^\d+% · /);
          if (Number(/^(\d+)%/.exec(resumedAt)![1]) < percentBeforeReload) {
            throw new Error(`the job went back from ${percentBeforeReload}% to "${resumedAt}" after the reload`);
          }
        },
      },
      {
        name: 'the reloaded job completes with the right bytes, and no temporary file is left',
        run: async () => {
          await jobs.waitFor(large.name, /^Completed · 1 file/, 3 * MINUTE);
          await wb.screenshot('large-completed');
          const digest = await sha256Of(join(downloadsDir, large.name));
          if (digest !== large.sha256) throw new Error(`${large.name}: sha256 ${digest}, expected ${large.sha256}`);
          const leftovers = readdirSync(downloadsDir).filter((n) => n !== small.name && n !== large.name);
          if (leftovers.length) throw new Error(`left in downloads/: ${leftovers.join(', ')}`);
        },
      },
      {
        name: 'Cancel from the context menu, after confirming, removes the partial file',
        run: async () => {
          await newDownload(wb, page, large.url);
          await jobs.waitFor(large.name, /^\d+% · /);
          await jobs.contextMenu(large.name, 'Cancel Job...');
          const dialog = page.locator('.monaco-dialog-box');
          await dialog.waitFor({ timeout: 10_000 });
          await wb.screenshot('cancel-confirmation');
          await dialog.locator('.monaco-button', { hasText: 'Cancel Job' }).first().click();
          await jobs.waitFor(large.name, /^Cancelled$/, 15_000);
          await wb.screenshot('cancelled');
          const deadline = Date.now() + 10_000;
          let leftovers: string[] = [];
          do {
            leftovers = readdirSync(downloadsDir).filter((n) => n !== small.name && n !== large.name);
            if (leftovers.length === 0) return;
            await page.waitForTimeout(250);
          } while (Date.now() < deadline);
          throw new Error(`left in downloads/ after Cancel: ${leftovers.join(', ')}`);
        },
      },
    ];
  },
};
