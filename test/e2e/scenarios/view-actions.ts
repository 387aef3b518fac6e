// The Jobs view as a download manager (issue 16): New Download starts with the URL under the editor's cursor,
// a completed file opens on click, Download Again from the context menu, Suspend All / Resume All from the
// view's title bar, Clear Finished Jobs moves jobs into the History, which survives a reload and offers
// Download Again, Remove from History and Clear History. Each step checks the view and the files on disk.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import type { E2EContext, Scenario } from '../context';
import { Workbench } from '../workbench';
import { demoFile, JobsView, showJobsView } from './downloads';

const MINUTE = 60_000;

/** The files in `dir` that are `name` or a "Download Again" copy of it ("name (n).ext"). */
function copiesOf(dir: string, name: string): string[] {
  const dot = name.lastIndexOf('.');
  const stem = name.slice(0, dot);
  const ext = name.slice(dot);
  return existsSync(dir) ? readdirSync(dir).filter((n) => n === name || (n.startsWith(`${stem} (`) && n.endsWith(`)${ext}`))) : [];
}

/** Polls `check` until it returns true; fails with `what`. */
async function until(page: Page, what: string, check: () => boolean | Promise<boolean>, timeout = 30_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    if (await check()) return;
    await page.waitForTimeout(250);
  }
  throw new Error(`timed out waiting for ${what}`);
}

export const viewActions: Scenario = {
  name: 'view actions',
  steps(ctx: E2EContext) {
    const wb = new Workbench(ctx.page, ctx.shotsDir, ctx.log);
    const page = ctx.page;
    const jobs = new JobsView(page, wb);
    const downloadsDir = join(ctx.workspaceFolder, 'downloads');
    const small = demoFile(ctx, 'small');
    const large = demoFile(ctx, 'large');
    const pane = () => wb.viewPane('Jobs');
    const rows = () => pane().locator('.monaco-list-row');
    /**
     * The row of a job's file (its description has "→ folder"), as opposed to the job's own row. Earlier scenarios
     * may have downloaded the same file into the folder, so the name may carry a " (N)" that keeps it unique.
     */
    const fileRow = (name: string): Locator =>
      rows()
        .filter({ has: page.locator('.label-name', { hasText: uniqueNameOf(name) }) })
        .filter({ has: page.locator('.label-description', { hasText: '→' }) })
        .first();
    const historyRow = () =>
      rows()
        .filter({ has: page.locator('.label-name', { hasText: /^History$/ }) })
        .first();
    // History entries are the History node's children (level 2), unlike the jobs (level 1).
    const historyEntry = (name: string) =>
      pane()
        .locator('.monaco-list-row[aria-level="2"]')
        .filter({ has: page.locator('.label-name', { hasText: name }) })
        .filter({ has: page.locator('.label-description', { hasText: /^(Completed|Cancelled) · / }) });
    /**
     * Clicks one of the Jobs view's title-bar buttons: in the side bar's title when Jobs is the container's
     * only view, else in the view's own header; shown while the pointer is over the side bar.
     */
    const titleAction = async (title: string) => {
      await page.locator('.part.sidebar').hover();
      const button = page
        .locator(
          `.part.sidebar .title-actions .action-label[aria-label="${title}"], .part.sidebar .pane-header .actions .action-label[aria-label="${title}"]`,
        )
        .first();
      await button.waitFor({ timeout: 10_000 });
      await button.click();
    };
    // A row's tooltip (a hover shown while the pointer rests on a row) covers the rows below it and takes their
    // clicks, and one that appears closes an open context menu (both seen in CI). So the pointer leaves the tree
    // and any hover is gone before each right-click, and a menu that goes away all the same is opened again.
    const tooltip = page.locator('.context-view .rendered-markdown, .monaco-hover:not(.hidden)');
    const contextMenu = async (row: Locator, item: string) => {
      const entry = page.locator('.context-view .monaco-menu .action-item', { hasText: item }).first();
      for (let attempt = 1; ; attempt++) {
        const editor = await page.locator('.part.editor').boundingBox();
        if (editor) await page.mouse.move(editor.x + editor.width - 20, editor.y + editor.height - 20);
        await tooltip
          .first()
          .waitFor({ state: 'hidden', timeout: 5_000 })
          .catch(() => page.keyboard.press('Escape'));
        await row.click({ button: 'right' });
        try {
          await entry.waitFor({ timeout: 10_000 });
          await entry.hover({ timeout: 5_000 });
          break;
        } catch (err) {
          if (attempt === 3) throw err;
          ctx.log(`  the context menu went away before "${item}" could be chosen (attempt ${attempt}); opening it again`);
          await page.keyboard.press('Escape');
        }
      }
      await page.keyboard.press('Enter');
    };
    let smallCopies = 0;

    return [
      {
        name: 'the Jobs view opens beside a note that has a download link',
        run: async () => {
          writeFileSync(join(ctx.workspaceFolder, 'links.md'), `# Links\n\nThe SDK: ${small.url}\n`);
          await wb.open(ctx.workbenchUrl);
          await wb.waitForActivityBarItem('Managed Downloads');
          await showJobsView(wb);
          smallCopies = copiesOf(downloadsDir, small.name).length;
        },
      },
      {
        name: 'New Download starts with the URL under the cursor, and downloads it',
        run: async () => {
          await page.keyboard.press('Control+P');
          const quickOpen = page.locator('.quick-input-widget input');
          await quickOpen.waitFor({ state: 'visible', timeout: 15_000 });
          await quickOpen.fill('links.md');
          await page.locator('.quick-input-list .monaco-list-row', { hasText: 'links.md' }).first().waitFor({ timeout: 15_000 });
          await page.keyboard.press('Enter');
          const editor = page.locator('.editor-instance .monaco-editor').first();
          await editor.locator('.view-line', { hasText: 'The SDK:' }).waitFor({ timeout: 15_000 });
          await editor.locator('.view-line', { hasText: 'The SDK:' }).click();
          await page.keyboard.press('End');
          await wb.runCommand('Managed Downloads: New Download...', async () => {
            await page.locator('.quick-input-widget input[placeholder="https://example.com/file.zip"]').waitFor({ timeout: 20_000 });
          });
          const input = page.locator('.quick-input-widget input');
          await until(page, 'the input box to hold the URL under the cursor', async () => (await input.inputValue()) === small.url, 10_000);
          await page.locator('.quick-input-widget', { hasText: 'From the URL under the cursor' }).first().waitFor({ timeout: 5_000 });
          await wb.screenshot('new-download-prefilled');
          await page.keyboard.press('Enter');
          await page
            .locator('.quick-input-widget .monaco-list-row', { hasText: 'default download folder' })
            .first()
            .waitFor({ timeout: 10_000 });
          await page.keyboard.press('Enter');
          await jobs.waitFor(small.name, /^Completed · 1 file/);
          await until(page, 'one more copy of the file in downloads/', () => copiesOf(downloadsDir, small.name).length === smallCopies + 1);
        },
      },
      {
        name: 'a click on the completed file opens it in an editor',
        run: async () => {
          const job = jobs.row(small.name);
          if ((await job.getAttribute('aria-expanded')) !== 'true') await job.locator('.monaco-tl-twistie').click();
          await fileRow(small.name).waitFor({ timeout: 10_000 });
          await fileRow(small.name).click();
          await page
            .locator('.tabs-container .tab.active', { hasText: small.name.replace(/\.bin$/, '') })
            .first()
            .waitFor({ timeout: 15_000 });
          await wb.screenshot('file-opened-on-click');
        },
      },
      {
        name: 'Download Again from the context menu makes a second copy, overwriting nothing',
        run: async () => {
          const before = copiesOf(downloadsDir, small.name).length;
          await contextMenu(jobs.row(small.name), 'Download Again');
          await until(page, 'a new copy of the file in downloads/', () => copiesOf(downloadsDir, small.name).length === before + 1);
          await jobs.waitFor(small.name, /^Completed · 1 file/);
          await wb.screenshot('downloaded-again');
        },
      },
      {
        name: "Suspend All and Resume All from the view's title bar",
        run: async () => {
          await wb.runCommand('Managed Downloads: New Download...', async () => {
            await page.locator('.quick-input-widget input[placeholder="https://example.com/file.zip"]').waitFor({ timeout: 20_000 });
          });
          await page.locator('.quick-input-widget input').fill(large.url);
          await page.keyboard.press('Enter');
          await page
            .locator('.quick-input-widget .monaco-list-row', { hasText: 'default download folder' })
            .first()
            .waitFor({ timeout: 10_000 });
          await page.keyboard.press('Enter');
          await jobs.waitFor(large.name, /^\d+% · /);
          await wb.screenshot('before-suspend-all');
          await titleAction('Suspend All Jobs');
          await jobs.waitFor(large.name, /^Suspended · /, 15_000);
          await wb.screenshot('after-suspend-all');
          await titleAction('Resume All Jobs');
          await jobs.waitFor(large.name, /^(\d+% · |Queued|Connecting)/, 15_000);
          await wb.screenshot('after-resume-all');
          // Left suspended: the History steps need only the finished jobs.
          await titleAction('Suspend All Jobs');
          await jobs.waitFor(large.name, /^Suspended · /, 15_000);
        },
      },
      {
        name: 'Clear Finished Jobs moves the completed jobs into the History; the suspended job stays',
        run: async () => {
          await titleAction('Clear Finished Jobs');
          await historyRow().waitFor({ timeout: 10_000 });
          await until(
            page,
            'no completed job left in the list',
            async () =>
              (await rows()
                .filter({ has: page.locator('.label-description', { hasText: /^Completed · 1 file · [\d.]+ [KMG]?B$/ }) })
                .count()) === 0,
          );
          await jobs.waitFor(large.name, /^Suspended · /, 5_000);
          if ((await historyRow().getAttribute('aria-expanded')) !== 'true') await historyRow().click();
          await until(page, 'two History entries for the small file', async () => (await historyEntry(small.name).count()) >= 2);
          await wb.screenshot('history');
        },
      },
      {
        name: 'the History survives a reload of the window',
        run: async () => {
          await page.evaluate('window.__managedDownloadsBeforeReload = true');
          await wb.runCommand('Developer: Reload Window');
          await page.waitForFunction('!window.__managedDownloadsBeforeReload', undefined, { timeout: MINUTE });
          await page.waitForSelector('.monaco-workbench .part.activitybar', { timeout: MINUTE });
          await wb.waitForActivityBarItem('Managed Downloads');
          await showJobsView(wb);
          await historyRow().waitFor({ timeout: 30_000 });
          if ((await historyRow().getAttribute('aria-expanded')) !== 'true') await historyRow().click();
          await until(page, 'the History entries after the reload', async () => (await historyEntry(small.name).count()) >= 2);
          await wb.screenshot('history-after-reload');
        },
      },
      {
        name: 'Download Again and Remove from History on a History entry, then Clear History',
        run: async () => {
          const before = copiesOf(downloadsDir, small.name).length;
          const entriesBefore = await historyEntry(small.name).count();
          await contextMenu(historyEntry(small.name).first(), 'Download Again');
          await until(page, 'a new copy from the History', () => copiesOf(downloadsDir, small.name).length === before + 1);
          await jobs.waitFor(small.name, /^Completed · 1 file/);
          await contextMenu(historyEntry(small.name).first(), 'Remove from History');
          await until(page, 'one History entry fewer', async () => (await historyEntry(small.name).count()) === entriesBefore - 1);
          await wb.screenshot('history-entry-removed');
          await historyRow().hover();
          await historyRow().locator('.actions .action-label[aria-label="Clear History"]').first().click();
          await until(page, 'the History node to go', async () => (await historyRow().count()) === 0);
          if (copiesOf(downloadsDir, small.name).length !== before + 1)
            throw new Error('clearing the History changed the downloaded files');
          await wb.screenshot('history-cleared');
        },
      },
    ];
  },
};

/** `name` or the unique name New Download gives it beside an existing file ("a (1).bin"). */
function uniqueNameOf(name: string): RegExp {
  const dot = name.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  const quote = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${quote(stem)}( \\(\\d+\\))?${quote(ext)}$`);
}
