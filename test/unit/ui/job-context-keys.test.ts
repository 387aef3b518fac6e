// The context keys that gate job verbs in the Command Palette, from job lists in each state, and
// package.json's palette entries: every job verb is hidden unless some job is in a state it applies to.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { JobEngine } from '../../../src/core/jobs/engine';
import { JobState, type JobSnapshot } from '../../../src/core/model/job';
import { JobContextKeys as K, jobContextKeyValues, ViewContextKeys } from '../../../src/ui/jobContextKeys';

let dir: string;
let engine: JobEngine;
let suspended: JobSnapshot;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'md-context-keys-'));
  engine = await JobEngine.open({ storeDir: path.join(dir, 'jobs') });
  const job = await engine.createJob({ displayName: 'a' });
  await engine.addFile(job.id, { remoteUrl: 'http://127.0.0.1:9/a', localPath: path.join(dir, 'a.bin') });
  suspended = engine.getJob(job.id)!;
});
after(async () => {
  await engine.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

const inState = (state: JobState, transferred = false): JobSnapshot => ({
  ...suspended,
  state,
  files: suspended.files.map((f) => ({ ...f, transferred })),
});
const trueKeys = (jobs: JobSnapshot[]) =>
  Object.entries(jobContextKeyValues(jobs))
    .filter(([, v]) => v)
    .map(([k]) => k)
    .sort();

test('with no job every key is false', () => {
  assert.deepEqual(trueKeys([]), []);
});

test('a suspended job can be resumed, cancelled, reprioritized and added to, not suspended or completed', () => {
  assert.equal(suspended.state, JobState.SUSPENDED);
  const keys = jobContextKeyValues([suspended]);
  assert.equal(keys[K.hasJobs], true);
  assert.equal(keys[K.hasJobsToResume], true);
  assert.equal(keys[K.hasJobsToCancel], true);
  assert.equal(keys[K.hasJobsToPrioritize], true);
  assert.equal(keys[K.hasJobsToSuspend], false);
  assert.equal(keys[K.hasJobsToComplete], false, 'nothing transferred yet');
  assert.equal(keys[K.hasFinishedJobs], false);
});

test('a transferring job can be suspended, not resumed', () => {
  const keys = jobContextKeyValues([inState(JobState.TRANSFERRING)]);
  assert.equal(keys[K.hasJobsToSuspend], true);
  assert.equal(keys[K.hasJobsToResume], false);
});

test('a transferred job can be completed', () => {
  assert.equal(jobContextKeyValues([inState(JobState.TRANSFERRED, true)])[K.hasJobsToComplete], true);
});

test('only finished jobs: listed and clearable, but no verb applies', () => {
  const finished = [inState(JobState.ACKNOWLEDGED, true), inState(JobState.CANCELLED)];
  assert.deepEqual(trueKeys(finished), [K.hasFinishedJobs, K.hasJobs].sort());
});

test('keys are the union over the jobs', () => {
  const keys = jobContextKeyValues([inState(JobState.TRANSFERRING), inState(JobState.CANCELLED), suspended]);
  assert.equal(keys[K.hasJobsToSuspend], true);
  assert.equal(keys[K.hasJobsToResume], true);
  assert.equal(keys[K.hasFinishedJobs], true);
});

// --- package.json -------------------------------------------------------------------------------------

interface MenuEntry {
  command: string;
  when?: string;
}
const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../package.json'), 'utf8')) as {
  contributes: { menus: Record<string, MenuEntry[]> };
};
const menus = manifest.contributes.menus;

/** Job-row commands that also work with no job at all (they then act on every job, or ask for a URL). */
const USEFUL_WITHOUT_A_JOB = new Set([
  'managedDownloads.showCertificateRejections',
  'managedDownloads.clearCertificateCache',
  'managedDownloads.testCertificateValidator',
]);

test('every job verb (a command on job or file rows) is gated in the Command Palette by a job context key', () => {
  const onRows = new Set(
    menus['view/item/context'].filter((m) => /viewItem =~ \/\^\(?(job|file)\b/.test(m.when ?? '')).map((m) => m.command),
  );
  const verbs = [...onRows].filter((c) => !USEFUL_WITHOUT_A_JOB.has(c));
  assert.ok(verbs.includes('managedDownloads.suspend') && verbs.includes('managedDownloads.resume'), 'the rows carry the verbs');
  const known = new Set<string>(Object.values(K));
  const wrong = verbs.filter((command) => {
    const entries = menus.commandPalette.filter((m) => m.command === command);
    if (entries.length !== 1) return true;
    const when = entries[0].when ?? '';
    return when !== 'false' && !(when.match(/managedDownloads\.\w+/g) ?? []).some((key) => known.has(key));
  });
  assert.deepEqual(wrong, [], `job verbs offered in the palette with no job context key in their "when": ${wrong.join(', ')}`);
});

test('the palette names only context keys that the extension sets', () => {
  const known = new Set<string>([...Object.values(K), ...Object.values(ViewContextKeys), 'managedDownloads.ready']);
  const used = menus.commandPalette.flatMap((m) => (m.when ?? '').match(/managedDownloads\.\w+/g) ?? []);
  const unknown = used.filter((key) => !known.has(key));
  assert.deepEqual(unknown, []);
});
