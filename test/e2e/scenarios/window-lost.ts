// Two windows on one workspace, and the tab of the one that runs the jobs is lost (its renderer crashes, as when
// the browser dies, the network drops or the laptop sleeps). code-server keeps that window's extension host
// running for its reconnection grace time (3 h), and every call into the lost window waits unanswered. The
// remaining window must get the store within seconds and finish the job, while the old extension host lives on.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Page } from 'playwright-core';
import type { E2EContext, Scenario } from '../context';
import { Workbench } from '../workbench';
import { demoFile, newDownload, sha256Of, showJobsView } from './downloads';
import { findLeaseFiles, FOLLOWER_MESSAGE, MINUTE, until } from './two-windows';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export const windowLost: Scenario = {
  name: 'window-lost',
  steps(ctx: E2EContext) {
    const a = new Workbench(ctx.page, join(ctx.shotsDir, 'window-a'), ctx.log);
    let pageB: Page | undefined;
    let b: Workbench | undefined;
    const downloadsDir = join(ctx.workspaceFolder, 'downloads');
    const userDataDir = join(dirname(dirname(ctx.installedExtension)), 'user-data');
    const large = demoFile(ctx, 'large');
    const before = new Set(existsSync(downloadsDir) ? readdirSync(downloadsDir) : []);
    const newNames = () => (existsSync(downloadsDir) ? readdirSync(downloadsDir).filter((n) => !before.has(n)) : []);
    const holderPid = () => {
      const leases = findLeaseFiles(userDataDir);
      if (leases.length !== 1) throw new Error(`expected one store lease under ${userDataDir}, found ${leases.length}`);
      return (JSON.parse(readFileSync(leases[0], 'utf8')) as { pid: number }).pid;
    };
    let lostPid = 0;
    let lostAt = 0;

    return [
      {
        name: 'window A opens the Jobs view and window B on the same workspace says that another window runs the jobs',
        run: async () => {
          await a.open(ctx.workbenchUrl);
          await a.waitForActivityBarItem('Managed Downloads');
          await showJobsView(a);
          pageB = await ctx.page.context().newPage();
          b = new Workbench(pageB, join(ctx.shotsDir, 'window-b'), ctx.log);
          await b.open(ctx.workbenchUrl);
          await b.waitForActivityBarItem('Managed Downloads');
          await showJobsView(b);
          try {
            await b.viewPane('Jobs').getByText(FOLLOWER_MESSAGE).first().waitFor({ timeout: 30_000 });
          } finally {
            await b.screenshot('b-follower');
          }
        },
      },
      {
        name: 'window A starts a slow download',
        run: async () => {
          await ctx.page.bringToFront();
          await newDownload(a, ctx.page, large.url);
          await until(
            'the transfer to start',
            () => newNames().some((n) => n.endsWith('.mddownload') && statSync(join(downloadsDir, n)).size > 4 * 1024 * 1024),
            MINUTE,
          );
          await a.screenshot('a-running');
        },
      },
      {
        name: "window A's tab is lost (its renderer crashes); its extension host lives on",
        run: async () => {
          lostPid = holderPid();
          const cdp = await ctx.page.context().newCDPSession(ctx.page);
          const crashed = new Promise<void>((resolve) => ctx.page.once('crash', () => resolve()));
          lostAt = Date.now();
          // Page.crash never answers: the page is gone.
          void cdp.send('Page.crash').catch(() => undefined);
          let done = false;
          void crashed.then(() => (done = true));
          await until("A's tab to crash", () => done, 15_000);
          ctx.log(`    the store was held by the extension host of window A (pid ${lostPid}); its tab crashed`);
          await pageB!.bringToFront();
        },
      },
      {
        name: 'window B takes the store within seconds while the lost extension host still runs, and finishes the job: the file arrives once and whole',
        run: async () => {
          await b!.viewPane('Jobs').getByText(FOLLOWER_MESSAGE).first().waitFor({ state: 'detached', timeout: MINUTE });
          const tookMs = Date.now() - lostAt;
          ctx.log(`    window B took the store ${(tookMs / 1000).toFixed(1)} s after window A was lost`);
          await b!.screenshot('b-holder');
          if (holderPid() === lostPid) throw new Error('the lease still names the lost window');
          // Not the take-over of a dead process: the lost window's extension host is alive, and let go by itself.
          if (!processAlive(lostPid))
            throw new Error(`the extension host of the lost window (pid ${lostPid}) is gone; this case needs it alive`);
          await until('the file to arrive', () => newNames().some((n) => !n.endsWith('.mddownload')), 3 * MINUTE);
          await until('the temporary file to go', () => !newNames().some((n) => n.endsWith('.mddownload')), MINUTE);
          const arrived = newNames();
          if (arrived.length !== 1) throw new Error(`expected one new file in downloads/, found ${arrived.join(', ')}`);
          const digest = await sha256Of(join(downloadsDir, arrived[0]));
          if (digest !== large.sha256) throw new Error(`${arrived[0]}: sha256 ${digest}, expected ${large.sha256}`);
          if (!processAlive(lostPid))
            throw new Error(`the extension host of the lost window (pid ${lostPid}) ended before the job finished`);
          await b!.screenshot('b-completed');
        },
      },
    ];
  },
};
