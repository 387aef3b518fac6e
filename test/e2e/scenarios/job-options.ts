// The Job Options form (issue 16): a download from a server whose certificate comes from a private CA nobody
// trusts, and which answers only requests with a token header, fails before any request byte is sent. The
// person opens Job Options from the job's context menu, ticks BG_SSL_IGNORE_UNKNOWN_CA (0x8), adds the header,
// saves, retries, and the file arrives whole, fetched with the header. Then a New Download whose options come
// first: it waits SUSPENDED with its form open, and Save and Start fetches it with the header added there.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { makeCA, makeLeaf } from '../../support/certs';
import { sha256, startServer, testBytes, type TestServer } from '../../support/servers';
import type { E2EContext, Scenario } from '../context';
import { Workbench } from '../workbench';
import { newDownload, sha256Of, showJobsView } from './downloads';

const MINUTE = 60_000;
const FILE = 'private-ca-artifact.bin';
const TOKEN = 'e2e-token-7f3a';
const SECRET = 'e2e-write-only-c41d9b';
const LATER = 'options-first.bin';

/** Every file under `folder`, for a look at what the job store holds. */
function filesUnder(folder: string, found: string[] = []): string[] {
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const full = join(folder, entry.name);
    if (entry.isDirectory()) filesUnder(full, found);
    else found.push(full);
  }
  return found;
}

/** The webview's page: VS Code nests it in two iframes (the host frame and the content frame). */
function formFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
}

function jobRow(wb: Workbench, page: Page, label: string): Locator {
  return wb
    .viewPane('Jobs')
    .locator('.monaco-list-row', { has: page.locator('.label-name', { hasText: label }) })
    .first();
}

async function waitForRow(wb: Workbench, page: Page, label: string, pattern: RegExp, timeout = MINUTE): Promise<string> {
  const deadline = Date.now() + timeout;
  let seen = '';
  while (Date.now() < deadline) {
    seen = (
      (await jobRow(wb, page, label)
        .locator('.label-description')
        .first()
        .textContent()
        .catch(() => '')) ?? ''
    ).trim();
    if (pattern.test(seen)) return seen;
    await page.waitForTimeout(250);
  }
  throw new Error(`the Jobs view did not show "${label}" as ${pattern} within ${timeout / 1000} s; it showed "${seen}"`);
}

async function contextMenu(page: Page, wb: Workbench, label: string, item: string): Promise<void> {
  await jobRow(wb, page, label).click({ button: 'right' });
  const entry = page.locator('.context-view .monaco-menu .action-item', { hasText: item }).first();
  await entry.hover();
  await page.keyboard.press('Enter');
}

export const jobOptions: Scenario = {
  name: 'job-options',
  steps(ctx: E2EContext) {
    const wb = new Workbench(ctx.page, ctx.shotsDir, ctx.log);
    const page = ctx.page;
    const body = testBytes(300_000, 16);
    let server: TestServer | undefined;
    let later: TestServer | undefined;

    return [
      {
        name: 'a server with a private CA and a token check starts; the Jobs view opens',
        run: async () => {
          const ca = makeCA('Job Options E2E Private CA');
          const leaf = makeLeaf(ca, { hosts: ['127.0.0.1'] });
          server = await startServer({ tls: { cert: leaf.cert, key: leaf.key }, host: '127.0.0.1' });
          server.route(`/${FILE}`, (_n, req) =>
            req.headers['x-token'] === TOKEN && req.headers['x-secret'] === SECRET ? { body } : { status: 403 },
          );
          await wb.open(ctx.workbenchUrl);
          await wb.waitForActivityBarItem('Managed Downloads');
          await showJobsView(wb);
        },
      },
      {
        name: 'the download fails on the unknown CA before any request reaches the server',
        run: async () => {
          await newDownload(wb, page, server!.url(`/${FILE}`));
          const seen = await waitForRow(wb, page, FILE, /^(Retry|Error)/);
          ctx.log(`    the job shows "${seen}"`);
          if (server!.requests.length !== 0)
            throw new Error(`the server received ${server!.requests.length} request(s) before the certificate was accepted`);
        },
      },
      {
        name: 'Job Options opens from the context menu with the job\u2019s values',
        run: async () => {
          await contextMenu(page, wb, FILE, 'Job Options...');
          const form = formFrame(page);
          await form.locator('#displayName').waitFor({ timeout: 30_000 });
          const name = await form.locator('#displayName').inputValue();
          if (name !== FILE) throw new Error(`the form shows the name "${name}", expected "${FILE}"`);
          await page.locator('.tab', { hasText: 'Job Options' }).first().waitFor({ timeout: 10_000 });
        },
      },
      {
        name: 'a wrong entry is named under its field, and nothing is saved',
        run: async () => {
          const form = formFrame(page);
          await form.locator('#minimumRetryDelay').fill('soon');
          await form.locator('#save').click();
          const message = form.locator('#minimumRetryDelay-error');
          await message.filter({ hasText: 'whole number of seconds' }).waitFor({ timeout: 10_000 });
          if ((await form.locator('#minimumRetryDelay').getAttribute('aria-invalid')) !== 'true')
            throw new Error('the wrong field is not marked aria-invalid');
          await form.locator('#minimumRetryDelay').fill('600');
          // Changing the field takes its message away; Save checks it again.
          await form.locator('#minimumRetryDelay-error').filter({ hasText: /^$/ }).waitFor({ state: 'attached', timeout: 5_000 });
          await form.locator('#form-error').filter({ hasText: /^$/ }).waitFor({ state: 'attached', timeout: 5_000 });
        },
      },
      {
        name: 'BG_SSL_IGNORE_UNKNOWN_CA, a plain and a write-only header are set with the keyboard and mouse, then saved',
        run: async () => {
          const form = formFrame(page);
          // Keyboard: focus the flag's checkbox through its label's control and tick it with Space.
          await form.locator('#flag-BG_SSL_IGNORE_UNKNOWN_CA').focus();
          await page.keyboard.press('Space');
          if (!(await form.locator('#flag-BG_SSL_IGNORE_UNKNOWN_CA').isChecked())) throw new Error('Space did not tick the flag');
          await form.locator('#description').fill('Artifact from the team server (private CA)');
          await form.locator('#add-header').click();
          await form.getByLabel('Name of header 1').fill('X-Token');
          await form.getByLabel('Value of header 1').fill(TOKEN);
          await form.locator('#add-header').click();
          await form.getByLabel('Name of header 2').fill('X-Secret');
          await form.getByLabel('Header 2 is write-only').check();
          await form.getByLabel('Value of header 2').fill(SECRET);
          if ((await form.getByLabel('Value of header 2').getAttribute('type')) !== 'password')
            throw new Error('a write-only value shows in clear');
          // The whole form in one window, for the README (media/screenshots/job-options.png).
          const viewport = page.viewportSize();
          await page.setViewportSize({ width: 1280, height: 1560 });
          await form.locator('h1').scrollIntoViewIfNeeded();
          await wb.screenshot('job-options-form');
          if (viewport) await page.setViewportSize(viewport);
          await form.locator('#save').click();
          // Save closes the form.
          await page.locator('.tab', { hasText: 'Job Options' }).first().waitFor({ state: 'detached', timeout: 15_000 });
        },
      },
      {
        name: 'retried, the job uses the flag and the header: the file arrives whole',
        run: async () => {
          await contextMenu(page, wb, FILE, 'Retry Job Now');
          await waitForRow(wb, page, FILE, /^Completed · 1 file/, 2 * MINUTE);
          await wb.screenshot('completed');
          const file = join(ctx.workspaceFolder, 'downloads', FILE);
          if (!existsSync(file)) throw new Error(`${file} is missing`);
          const digest = await sha256Of(file);
          if (digest !== sha256(body)) throw new Error(`${FILE}: sha256 ${digest}, expected ${sha256(body)}`);
          const asked = server!.requestsFor(`/${FILE}`);
          if (asked.length === 0 || asked.some((r) => r.headers['x-token'] !== TOKEN || r.headers['x-secret'] !== SECRET)) {
            throw new Error(
              `requests without the headers: ${JSON.stringify(asked.map((r) => [r.headers['x-token'] ?? null, r.headers['x-secret'] ? 'secret' : null]))}`,
            );
          }
          await server!.close();
        },
      },
      {
        name: 'from the completed job\u2019s details, Job Options opens read-only: a finished job\u2019s options cannot change',
        run: async () => {
          await contextMenu(page, wb, FILE, 'Show Job Details');
          const button = page.locator('.part.editor .editor-actions .action-label[aria-label^="Job Options"]').first();
          await button.waitFor({ timeout: 15_000 });
          await button.click();
          const form = formFrame(page);
          await form.locator('#form-error').filter({ hasText: 'ACKNOWLEDGED' }).waitFor({ timeout: 30_000 });
          if (!(await form.locator('#save').isDisabled())) throw new Error('Save is enabled on a completed job');
          if (!(await form.locator('#flag-BG_SSL_IGNORE_UNKNOWN_CA').isChecked())) throw new Error('the saved flag does not show');
          if ((await form.locator('#description').inputValue()) !== 'Artifact from the team server (private CA)')
            throw new Error('the saved description does not show');
          await wb.screenshot('finished-job-options');
        },
      },
      {
        name: 'the write-only value is nowhere in the job store, which records only its name',
        run: async () => {
          const userData = join(dirname(dirname(ctx.installedExtension)), 'user-data');
          const lease = filesUnder(userData).find((f) => /lease-\d+\.json$/.test(f));
          if (!lease) throw new Error(`no job store (lease file) under ${userData}`);
          const store = filesUnder(dirname(lease)).filter((f) => !f.endsWith('.tmp'));
          const withSecret = store.filter((f) => readFileSync(f, 'latin1').includes(SECRET));
          if (withSecret.length) throw new Error(`the write-only value is in ${withSecret.join(', ')}`);
          if (!store.some((f) => readFileSync(f, 'latin1').includes('X-Secret')))
            throw new Error(`no store file names X-Secret: ${store.join(', ')}`);
        },
      },
      {
        name: 'New Download, Set Options First: the job waits SUSPENDED with no request sent, and its form opens',
        run: async () => {
          later = await startServer({ host: '127.0.0.1' });
          later.route(`/${LATER}`, (_n, req) => (req.headers['x-token'] === TOKEN ? { body } : { status: 403 }));
          await wb.runCommand('View: Close All Editors');
          await wb.runCommand('Managed Downloads: New Download...', async () => {
            await page.locator('.quick-input-widget input[placeholder="https://example.com/file.zip"]').waitFor({ timeout: 5_000 });
          });
          await page.locator('.quick-input-widget input').fill(later.url(`/${LATER}`));
          await page.keyboard.press('Enter');
          const optionsFirst = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Set Options First' }).first();
          await optionsFirst.waitFor({ timeout: 10_000 });
          await wb.screenshot('new-download-options-first');
          await optionsFirst.click();
          // Then the folder, as without it (once the first pick has gone: its rows name the default folder too).
          await optionsFirst.waitFor({ state: 'detached', timeout: 10_000 });
          await page
            .locator('.quick-input-widget .monaco-list-row', { hasText: 'default download folder' })
            .first()
            .waitFor({ timeout: 10_000 });
          await page.keyboard.press('Enter');
          const form = formFrame(page);
          await form.locator('#displayName').waitFor({ timeout: 30_000 });
          if ((await form.locator('#displayName').inputValue()) !== LATER) throw new Error('the form is not the new job\u2019s');
          await form.locator('#save-start').waitFor({ state: 'visible', timeout: 10_000 });
          await waitForRow(wb, page, LATER, /^Suspended/);
          if (later.requests.length !== 0) throw new Error(`${later.requests.length} request(s) before the options were saved`);
        },
      },
      {
        name: 'a header is added in the form; Save and Start fetches the file with it',
        run: async () => {
          const form = formFrame(page);
          await form.locator('#add-header').click();
          await form.getByLabel('Name of header 1').fill('X-Token');
          await form.getByLabel('Value of header 1').fill(TOKEN);
          await wb.screenshot('options-first-form');
          await form.locator('#save-start').click();
          await page.locator('.tab', { hasText: 'Job Options' }).first().waitFor({ state: 'detached', timeout: 15_000 });
          await waitForRow(wb, page, LATER, /^Completed · 1 file/, 2 * MINUTE);
          const digest = await sha256Of(join(ctx.workspaceFolder, 'downloads', LATER));
          if (digest !== sha256(body)) throw new Error(`${LATER}: sha256 ${digest}, expected ${sha256(body)}`);
          const asked = later!.requestsFor(`/${LATER}`);
          if (asked.length === 0 || asked.some((r) => r.headers['x-token'] !== TOKEN))
            throw new Error(`requests without the header: ${JSON.stringify(asked.map((r) => r.headers['x-token'] ?? null))}`);
          await later!.close();
        },
      },
    ];
  },
};
