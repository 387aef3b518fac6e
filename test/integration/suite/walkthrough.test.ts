// The Get Started walkthrough: every step's buttons run commands that exist once the extension is active,
// every step shows media that ships with the extension, and every step can be completed by something a
// person does (a command, a setting, a view), so the walkthrough never shows a step that cannot tick.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activated, extensionUnderTest, manifest } from '../extension-under-test';

interface WalkthroughStep {
  id: string;
  title: string;
  description: string;
  media: { image?: string | Record<string, string>; svg?: string; markdown?: string; altText?: string };
  completionEvents?: string[];
}
interface Walkthrough {
  id: string;
  title: string;
  steps: WalkthroughStep[];
}

function walkthroughs(): Walkthrough[] {
  return (manifest().contributes?.walkthroughs as Walkthrough[] | undefined) ?? [];
}

/** `command:ID` and `command:ID?ARGS` links in a step's description (its buttons). */
function commandLinks(step: WalkthroughStep): string[] {
  return [...step.description.matchAll(/\(command:([\w.-]+)/g)].map((m) => m[1]);
}

function mediaFiles(step: WalkthroughStep): string[] {
  const { image, svg, markdown } = step.media;
  const images = typeof image === 'string' ? [image] : image ? Object.values(image) : [];
  return [...images, ...(svg ? [svg] : []), ...(markdown ? [markdown] : [])];
}

suite('Walkthrough: Get Started with Managed Downloads', () => {
  test('there is one walkthrough from the first download to a pinned validator', () => {
    const [walkthrough, ...others] = walkthroughs();
    assert.ok(walkthrough, 'package.json contributes no walkthrough');
    assert.equal(others.length, 0);
    const steps = walkthrough.steps.map((s) => s.id);
    assert.deepEqual(steps, ['firstDownload', 'watchJobs', 'suspendResume', 'createValidator', 'pinValidator']);
    const firstButtons = commandLinks(walkthrough.steps[0]);
    assert.ok(firstButtons.includes('managedDownloads.newDownload'), 'the first step has a New Download button');
  });

  test('every command a step runs (its buttons and its completion events) is registered', async () => {
    await activated();
    const registered = new Set(await vscode.commands.getCommands(false));
    const referenced = walkthroughs().flatMap((w) =>
      w.steps.flatMap((s) => [
        ...commandLinks(s),
        ...(s.completionEvents ?? []).filter((e) => e.startsWith('onCommand:')).map((e) => e.slice('onCommand:'.length)),
      ]),
    );
    assert.ok(referenced.length >= 5, `only ${referenced.length} commands referenced`);
    const missing = [...new Set(referenced)].filter((c) => !registered.has(c));
    assert.deepEqual(missing, [], `walkthrough refers to commands that are not registered: ${missing.join(', ')}`);
  });

  test('every step can complete, and the settings it watches are ours', () => {
    const ours = Object.keys(((manifest().contributes?.configuration as { properties?: Record<string, unknown> }) ?? {}).properties ?? {});
    for (const step of walkthroughs().flatMap((w) => w.steps)) {
      assert.ok(step.completionEvents?.length, `step ${step.id} has no completionEvents`);
      for (const event of step.completionEvents) {
        const [kind, target] = [event.slice(0, event.indexOf(':')), event.slice(event.indexOf(':') + 1)];
        assert.ok(
          ['onCommand', 'onSettingChanged', 'onView', 'onContext', 'onLink', 'extensionInstalled', 'onStepSelected'].includes(kind),
          `${step.id}: unknown completion event ${event}`,
        );
        if (kind === 'onSettingChanged') assert.ok(ours.includes(target), `${step.id}: ${target} is not a setting of this extension`);
      }
    }
  });

  test('every step has media that ships with the extension, with alt text', async () => {
    const root = extensionUnderTest().extensionUri;
    for (const step of walkthroughs().flatMap((w) => w.steps)) {
      const files = mediaFiles(step);
      assert.ok(files.length > 0, `step ${step.id} has no media`);
      if (step.media.image || step.media.svg) assert.ok(step.media.altText, `step ${step.id}: a picture needs altText`);
      for (const file of files) {
        assert.ok(file.startsWith('media/walkthrough/'), `${step.id}: ${file} is outside media/walkthrough/`);
        const stat = await vscode.workspace.fs.stat(vscode.Uri.joinPath(root, file)).then(
          (s) => s,
          () => undefined,
        );
        assert.ok(stat && stat.size > 0, `${step.id}: ${file} does not exist or is empty`);
      }
    }
  });
});
