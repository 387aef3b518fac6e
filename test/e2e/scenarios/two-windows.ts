// Two windows on one workspace (two extension hosts, one store): window A starts a slow download and runs it;
// window B shows the job and says another window runs it; A's extension host is killed with SIGKILL mid-file;
// B takes the store over and finishes the job: the file arrives once and whole, no temporary file is left.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Page } from 'playwright-core';
import { waitUntil } from '../../support/wait';
import type { E2EContext, Scenario } from '../context';
import { Workbench } from '../workbench';
import { demoFile, newDownload, sha256Of, showJobsView } from './downloads';

export const MINUTE = 60_000;
export const FOLLOWER_MESSAGE = 'Another window runs these jobs';

/** Lease files of every store under the user data folder (the workspace's store is the one with a lease). */
export function findLeaseFiles(folder: string, found: string[] = []): string[] {
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const full = join(folder, entry.name);
    if (entry.isDirectory()) findLeaseFiles(full, found);
    else if (/^lease-\d+\.json$/.test(entry.name)) found.push(full);
  }
  return found;
}

/** Waits until `test` holds (waitUntil, looking every 250 ms); fails naming `what` after `ms`. */
export async function until(what: string, test: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  await waitUntil(what, test, { timeoutMs: ms, intervalMs: 250 });
}

export const twoWindows: Scenario = {
  name: 'two-windows',
  steps(ctx: E2EContext) {
    const a = new Workbench(ctx.page, join(ctx.shotsDir, 'window-a'), ctx.log);
    let pageB: Page | undefined;
    let b: Workbench | undefined;
    const downloadsDir = join(ctx.workspaceFolder, 'downloads');
    const userDataDir = join(dirname(dirname(ctx.installedExtension)), 'user-data');
    const large = demoFile(ctx, 'large');
    const before = new Set(existsSync(downloadsDir) ? readdirSync(downloadsDir) : []);
    const newNames = () => (existsSync(downloadsDir) ? readdirSync(downloadsDir).filter((n) => !before.has(n)) : []);
    let killedPid = 0;

    return [
      {
        name: 'window A opens the Jobs view, so its extension host takes the store',
        run: async () => {
          await a.open(ctx.workbenchUrl);
          await a.waitForActivityBarItem('Managed Downloads');
          await showJobsView(a);
        },
      },
      {
        name: 'window B on the same workspace says that another window runs the jobs',
        run: async () => {
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
        name: 'window A starts a slow download; window B shows it too',
        run: async () => {
          await ctx.page.bringToFront();
          await newDownload(a, ctx.page, large.url);
          await until(
            'the transfer to start',
            () => newNames().some((n) => n.endsWith('.mddownload') && statSync(join(downloadsDir, n)).size > 4 * 1024 * 1024),
            MINUTE,
          );
          await a.screenshot('a-running');
          await pageB!.bringToFront();
          await b!.viewPane('Jobs').locator('.monaco-list-row', { hasText: large.name }).first().waitFor({ timeout: 15_000 });
          await b!.screenshot('b-sees-the-job');
        },
      },
      {
        name: "window A's extension host is killed with SIGKILL in the middle of the file",
        run: async () => {
          const leases = findLeaseFiles(userDataDir);
          if (leases.length !== 1) throw new Error(`expected one store lease under ${userDataDir}, found ${leases.length}`);
          const holder = JSON.parse(readFileSync(leases[0], 'utf8')) as { pid: number; label?: string };
          ctx.log(`    the store is held by ${holder.label} (pid ${holder.pid}); killing it`);
          killedPid = holder.pid;
          process.kill(holder.pid, 'SIGKILL');
          // Closed at once, so the window does not start a new extension host that could race B for the store.
          await ctx.page.close();
          const temp = newNames().find((n) => n.endsWith('.mddownload'));
          if (!temp) throw new Error('the temporary file is gone right after the kill');
          const name = newNames().find((n) => !n.endsWith('.mddownload'));
          if (name) throw new Error(`${name} is at its final path before the job completed`);
        },
      },
      {
        name: 'window B takes the store over and finishes the job: the file arrives once and whole, no temporary file left',
        run: async () => {
          await b!.viewPane('Jobs').getByText(FOLLOWER_MESSAGE).first().waitFor({ state: 'detached', timeout: MINUTE });
          const holder = JSON.parse(readFileSync(findLeaseFiles(userDataDir)[0], 'utf8')) as { pid: number };
          if (holder.pid === killedPid) throw new Error('the lease still names the killed extension host');
          await until('the file to arrive', () => newNames().some((n) => !n.endsWith('.mddownload')), 3 * MINUTE);
          await until('the temporary file to go', () => !newNames().some((n) => n.endsWith('.mddownload')), MINUTE);
          const arrived = newNames();
          if (arrived.length !== 1) throw new Error(`expected one new file in downloads/, found ${arrived.join(', ')}`);
          const digest = await sha256Of(join(downloadsDir, arrived[0]));
          if (digest !== large.sha256) throw new Error(`${arrived[0]}: sha256 ${digest}, expected ${large.sha256}`);
          await b!.screenshot('b-completed');
        },
      },
    ];
  },
};
