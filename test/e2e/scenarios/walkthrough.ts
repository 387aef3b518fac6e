// A newcomer's guided tour: "Welcome: Open Walkthrough..." lists "Get Started with Managed Downloads",
// which opens on its first step with the New Download button and its picture, with the titles of the
// steps up to the pinned validator read from package.nls.json in the installed .vsix.
import { Workbench } from '../workbench';
import type { E2EContext, Scenario } from '../context';

const TITLE = 'Get Started with Managed Downloads';
const STEPS = [
  'Start your first download',
  'Watch it in the Jobs view',
  'Suspend and resume',
  'Create a certificate validator',
  'Pin a server’s key',
];

export const walkthrough: Scenario = {
  name: 'walkthrough',
  steps(ctx: E2EContext) {
    const wb = new Workbench(ctx.page, ctx.shotsDir, ctx.log);
    const page = ctx.page;
    return [
      {
        name: 'the workbench opens with the extension installed',
        run: async () => {
          await wb.open(ctx.workbenchUrl);
          await wb.waitForActivityBarItem('Managed Downloads');
        },
      },
      {
        name: `"Welcome: Open Walkthrough..." offers "${TITLE}" and opens it`,
        run: async () => {
          await wb.runCommand('Welcome: Open Walkthrough...');
          const input = page.locator('.quick-input-widget input');
          await input.fill(TITLE);
          await page.locator('.quick-input-list .monaco-list-row', { hasText: TITLE }).first().waitFor({ timeout: 15_000 });
          await page.keyboard.press('Enter');
          await page.locator('.gettingStartedContainer', { hasText: TITLE }).first().waitFor({ timeout: 30_000 });
        },
      },
      {
        name: 'it shows every step by its title, and the first with its New Download button and picture',
        run: async () => {
          const container = page.locator('.gettingStartedContainer').first();
          for (const step of STEPS)
            await container.locator('.getting-started-step', { hasText: step }).first().waitFor({ timeout: 15_000 });
          await container
            .locator('.getting-started-step.expanded .monaco-button', { hasText: 'New Download' })
            .first()
            .waitFor({ timeout: 15_000 });
          // The picture: the light or dark SVG for the theme, loaded (not a broken image).
          const picture = container.locator('.getting-started-media img').first();
          await picture.waitFor({ timeout: 15_000 });
          // (In the page: the project's TypeScript has no DOM library, hence the narrow shape.)
          await page.waitForFunction(
            (img) => {
              const i = img as unknown as { complete: boolean; naturalWidth: number };
              return i.complete && i.naturalWidth > 0;
            },
            await picture.elementHandle(),
            { timeout: 15_000 },
          );
          await wb.screenshot('walkthrough');
        },
      },
    ];
  },
};
