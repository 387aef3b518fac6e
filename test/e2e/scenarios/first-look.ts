// A newcomer's first look: the workbench loads with the installed extension, its activity-bar icon
// opens the Managed Downloads view, the empty Jobs view welcomes them with a New Download button, and
// "Managed Downloads: Show Log" shows the extension's log.
import { Workbench } from '../workbench';
import type { E2EContext, Scenario } from '../context';

export const firstLook: Scenario = {
  name: 'first look',
  steps(ctx: E2EContext) {
    const wb = new Workbench(ctx.page, ctx.shotsDir, ctx.log);
    return [
      {
        name: 'the workbench opens the workspace',
        run: async () => {
          await wb.open(ctx.workbenchUrl);
          await wb.screenshot('workbench');
        },
      },
      {
        name: 'the extension\'s "Managed Downloads" icon is in the activity bar',
        run: async () => {
          await wb.waitForActivityBarItem('Managed Downloads');
          await wb.screenshot('activity-bar-icon');
        },
      },
      {
        name: 'the Jobs view welcomes with a "New Download" button',
        run: async () => {
          await wb.openViewContainer('Managed Downloads');
          await wb.welcomeButton('Jobs', 'No download jobs yet', 'New Download');
          await wb.screenshot('jobs-welcome');
        },
      },
      {
        name: '"Managed Downloads: Show Log" from the palette shows the extension\'s log',
        run: async () => {
          await wb.runCommand(
            'Managed Downloads: Show Log',
            async () => {
              await wb.outputShows('Managed Downloads', /\[info\]/);
            },
            async () => {
              await wb.screenshot('palette-show-log');
            },
          );
          await wb.screenshot('log-output');
        },
      },
    ];
  },
};
