// Debian's Chromium driven by playwright-core (never `npx playwright install`), headless, a fresh profile.
import { chromium } from 'playwright-core';
import { onCleanup } from './cleanup.mjs';

export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * @param {object} tools realVsCodeTools()
 * @param {{ viewport?: { width: number, height: number } }} [options]
 * @returns {Promise<{ browser: import('playwright-core').Browser, context: import('playwright-core').BrowserContext, page: import('playwright-core').Page, close: () => Promise<void> }>}
 */
export async function launchChromium(tools, options = {}) {
  const browser = await chromium.launch({
    executablePath: tools.chromium,
    headless: true,
    args: chromiumArgs,
    // Our own cleanup closes the browser; playwright's handlers would race with it.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await browser.close().catch(() => {});
  };
  onCleanup(close);
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1400, height: 850 } });
  const page = await context.newPage();
  return { browser, context, page, close };
}
