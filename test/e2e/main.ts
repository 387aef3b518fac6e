// Runs the e2e scenarios against a running code-server (started by scripts/run-e2e.mjs, which loads
// this file through tsx). Each step is one test: a failing step takes a screenshot and ends its
// scenario (later steps build on it), and the scenario's remaining steps count as failed.
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import type { E2EContext } from './context';
import { scenarios } from './scenarios/index';

export interface E2EOptions extends Omit<E2EContext, 'page' | 'shotsDir'> {
  browser: Browser;
  shotsRoot: string;
  viewport?: { width: number; height: number };
  /** Only scenarios whose name includes this. */
  filter?: string;
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

export async function runScenarios(options: E2EOptions): Promise<{ passed: number; failed: number }> {
  let passed = 0;
  let failed = 0;
  const log = options.log;
  for (const scenario of scenarios) {
    if (options.filter && !scenario.name.includes(options.filter)) continue;
    const context = await options.browser.newContext({ viewport: options.viewport ?? { width: 1400, height: 850 } });
    const page = await context.newPage();
    const shotsDir = join(options.shotsRoot, slug(scenario.name));
    const ctx: E2EContext = { ...options, page, shotsDir };
    log(`  scenario: ${scenario.name}`);
    const steps = scenario.steps(ctx);
    let broken: string | undefined;
    for (const step of steps) {
      if (broken) {
        failed++;
        log(`  not ok - ${scenario.name} › ${step.name}: not run, an earlier step failed`);
        continue;
      }
      const started = Date.now();
      try {
        await step.run();
        passed++;
        log(`  ok - ${scenario.name} › ${step.name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      } catch (e) {
        failed++;
        broken = step.name;
        const failure = join(shotsDir, `failure-${slug(step.name)}.png`);
        await page.screenshot({ path: failure }).catch(() => {});
        log(`  not ok - ${scenario.name} › ${step.name}: ${e instanceof Error ? e.message : String(e)}`);
        log(`    screenshot ${failure}`);
      }
    }
    await context.close();
  }
  return { passed, failed };
}
