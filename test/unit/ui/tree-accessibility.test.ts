// What a screen reader says for the Jobs view's rows: name, state and progress in words, no symbols.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { Codes, ErrorContext } from '../../../src/core/errors';
import { JobEngine } from '../../../src/core/jobs/engine';
import { JobState, type JobSnapshot } from '../../../src/core/model/job';
import {
  bytesInWords,
  durationInWords,
  errorAccessibilityLabel,
  fileAccessibilityLabel,
  jobAccessibilityLabel,
} from '../../../src/ui/treeAccessibility';

let dir: string;
let engine: JobEngine;
let job: JobSnapshot;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'md-a11y-'));
  engine = await JobEngine.open({ storeDir: path.join(dir, 'jobs') });
  const created = await engine.createJob({ displayName: 'installer' });
  await engine.addFile(created.id, { remoteUrl: 'http://127.0.0.1:9/installer.zip', localPath: path.join(dir, 'installer.zip') });
  job = engine.getJob(created.id)!;
});
after(async () => {
  await engine.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

const progress = { bytesTotal: 200_000_000, bytesTransferred: 84_000_000, filesTotal: 2, filesTransferred: 1, rate: 12_400_000 };

test('sizes and durations read as words', () => {
  assert.equal(bytesInWords(1536), '1.5 kilobytes');
  assert.equal(bytesInWords(12), '12 bytes');
  assert.equal(durationInWords(1), '1 second');
  assert.equal(durationInWords(42), '42 seconds');
  assert.equal(durationInWords(7500), '2 hours 5 minutes');
});

test('a transferring job: name, state, percent, sizes, files, speed and time left, without symbols', () => {
  const label = jobAccessibilityLabel({ ...job, state: JobState.TRANSFERRING }, progress);
  assert.equal(
    label,
    'Download job installer, Transferring, 42 percent, 84.0 megabytes of 200 megabytes, 1 of 2 files transferred, 12.4 megabytes per second, 10 seconds left',
  );
  assert.doesNotMatch(label, /[%·→/]/);
});

test('a suspended job of unknown size says so', () => {
  const label = jobAccessibilityLabel(job, { bytesTotal: null, bytesTransferred: 0, filesTotal: 1, filesTransferred: 0, rate: 0 });
  assert.equal(label, 'Download job installer, Suspended, 0 bytes so far, 1 file');
});

test('a job in error says the error in short', () => {
  const error = {
    code: Codes.E_INVALIDARG,
    description: 'The server refused the request. More text.',
    context: ErrorContext.REMOTE_FILE,
    time: '2026-01-01T00:00:00Z',
  };
  const failed: JobSnapshot = { ...job, state: JobState.ERROR, error };
  assert.match(jobAccessibilityLabel(failed, progress), /^Download job installer, Error, The server refused the request\., 42 percent/);
  assert.equal(errorAccessibilityLabel(failed, 'E_INVALIDARG'), 'Error, the job stopped: E_INVALIDARG, The server refused the request.');
});

test('a file row: name, status, percent and where it goes', () => {
  const file = { ...job.files[0], bytesTotal: 1000, bytesTransferred: 250 };
  assert.equal(
    fileAccessibilityLabel(file, true, 'downloads'),
    'File installer.zip, downloading, 25 percent, 250 bytes of 1.0 kilobytes, saved to downloads',
  );
  assert.equal(
    fileAccessibilityLabel({ ...file, transferred: true, bytesTransferred: 1000 }, false, 'downloads'),
    'File installer.zip, transferred, 1.0 kilobytes, saved to downloads',
  );
  assert.equal(
    fileAccessibilityLabel({ ...file, bytesTotal: null, bytesTransferred: 0 }, false, '~'),
    'File installer.zip, waiting, 0 bytes, total size unknown, saved to ~',
  );
});
