// Steps a person takes in the VS Code workbench (code-server in Chromium), as a small library the
// scenarios compose. Every step waits for what a person would wait for and can take a screenshot.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';

const LONG = 60_000;

export class Workbench {
  private shots = 0;

  constructor(
    readonly page: Page,
    readonly shotsDir: string,
    private readonly log: (line: string) => void = console.log,
  ) {
    mkdirSync(shotsDir, { recursive: true });
  }

  /** A numbered screenshot of the whole window; returns its path. */
  async screenshot(name: string): Promise<string> {
    const file = join(this.shotsDir, `${String(++this.shots).padStart(2, '0')}-${name}.png`);
    await this.page.screenshot({ path: file });
    this.log(`    screenshot ${file}`);
    return file;
  }

  /** Opens the workbench at `url` and waits until the explorer shows the workspace's files. */
  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await this.page.waitForSelector('.monaco-workbench .part.activitybar', { timeout: LONG });
    await this.page.waitForSelector('.explorer-folders-view .monaco-list-row', { timeout: LONG });
  }

  /** The activity-bar entry of a view container, by its title. */
  activityBarItem(title: string): Locator {
    return this.page
      .locator(`.activitybar .action-item a[aria-label^="${title}"], .activitybar .action-label[aria-label^="${title}"]`)
      .first();
  }

  /** Waits until an extension's view container shows in the activity bar (its contributions are loaded). */
  async waitForActivityBarItem(title: string): Promise<void> {
    await this.activityBarItem(title).waitFor({ timeout: LONG });
  }

  /** Opens a view container from the activity bar and waits for its side bar. */
  async openViewContainer(title: string): Promise<void> {
    const item = this.activityBarItem(title);
    const checked = await item.getAttribute('aria-checked').catch(() => null);
    const expanded = await item.getAttribute('aria-expanded').catch(() => null);
    if (checked !== 'true' && expanded !== 'true') await item.click();
    await this.page.locator('.part.sidebar .composite.title', { hasText: title }).first().waitFor({ timeout: 15_000 });
  }

  /** The pane of a view in the side bar, by its name. */
  viewPane(name: string): Locator {
    return this.page.locator(`.part.sidebar .pane:has(.pane-header:has-text("${name}"))`).first();
  }

  /** Waits for a view's welcome content with `text`, and returns its button labelled `button`. */
  async welcomeButton(view: string, text: string, button: string): Promise<Locator> {
    const pane = this.viewPane(view);
    await pane.locator('.welcome-view-content', { hasText: text }).first().waitFor({ timeout: 15_000 });
    const b = pane.locator('.welcome-view-content .monaco-button', { hasText: button }).first();
    await b.waitFor({ timeout: 5_000 });
    return b;
  }

  /**
   * Runs a command from the palette (F1) by its full label ("Category: Title"). Retries when a late
   * editor steals focus and closes the palette; `done` (optional) is what proves the command ran.
   */
  async runCommand(label: string, done?: () => Promise<void>, onPalette?: () => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      await this.page.keyboard.press('Escape');
      await this.page.keyboard.press('F1');
      const input = this.page.locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible', timeout: 15_000 });
      await input.fill(`>${label}`);
      await this.page.locator('.quick-input-list .monaco-list-row', { hasText: label }).first().waitFor({ timeout: 15_000 });
      if (attempt === 1 && onPalette) await onPalette();
      await this.page.keyboard.press('Enter');
      if (!done) return;
      try {
        await done();
        return;
      } catch (e) {
        if (attempt >= 3) throw e;
        this.log(`    "${label}" showed nothing yet; running it again from the palette`);
      }
    }
  }

  /** Waits until the Output panel shows `channel` with a line matching `line`; returns the text seen. */
  async outputShows(channel: string, line: RegExp, timeout = 15_000): Promise<string> {
    const panel = this.page.locator('.part.panel');
    await panel.waitFor({ state: 'visible', timeout });
    const deadline = Date.now() + timeout;
    let seen = '';
    while (Date.now() < deadline) {
      const selected = await panel
        .locator('select.monaco-select-box')
        .first()
        .evaluate((el) => {
          // This runs in the page; the project's TypeScript has no DOM library, hence the narrow shape.
          const select = el as unknown as { selectedOptions: ArrayLike<{ textContent: string | null }> };
          return select.selectedOptions[0]?.textContent ?? '';
        })
        .catch(() => '');
      seen = (
        await panel
          .locator('.monaco-editor .view-lines')
          .first()
          .innerText()
          .catch(() => '')
      ).replace(/\u00a0/g, ' ');
      if (selected.includes(channel) && line.test(seen)) return seen;
      await this.page.waitForTimeout(250);
    }
    throw new Error(`the Output panel did not show channel "${channel}" with a line matching ${line}; it showed:\n${seen.slice(0, 500)}`);
  }

  /** A notification with `text`: a toast, or else in the notification center. Returns its first line. */
  async notification(text: string, timeout = 10_000): Promise<string> {
    const toast = this.page.locator('.notifications-toasts .notification-toast', { hasText: text }).first();
    try {
      await toast.waitFor({ timeout: Math.min(timeout, 4_000) });
      return (await toast.innerText()).split('\n')[0];
    } catch {
      // toasts are not shown in some modes; the center has them all
    }
    const center = this.page.locator('.notifications-center .notification-list-item', { hasText: text }).first();
    if (!(await this.page.locator('.notifications-center.visible').count())) {
      await this.page.locator('#status\\.notifications a, .statusbar-item#status\\.notifications').first().click();
    }
    await center.waitFor({ timeout });
    return (await center.innerText()).split('\n')[0];
  }
}
