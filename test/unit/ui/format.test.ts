// The wording and rules the Jobs view shows, in plain Node: descriptions, context values, file names.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { Codes, ErrorContext, httpStatusCode } from '../../../src/core/errors';
import { JobPriority, JobState, type FileRecord, type JobRecord } from '../../../src/core/model/job';
import { againDestinations, fileNameFromUrl, parseDownloadUrl, splitUrls, uniqueDestination } from '../../../src/ui/destinations';
import { describeJob, formatBytes, formatDuration, percentDone, progressFromFiles, shortError } from '../../../src/ui/format';
import { canDo, fileContextValue, isActive, jobContextValue } from '../../../src/ui/jobActions';
import { escapeMarkdown, jobDetailsMarkdown, jobTooltipMarkdown } from '../../../src/ui/jobMarkdown';

function file(overrides: Partial<FileRecord> = {}): FileRecord {
  return {
    remoteUrl: 'https://example.com/a.bin',
    localPath: '/tmp/dl/a.bin',
    tempPath: '/tmp/dl/.a.bin.md-tmp',
    bytesTotal: 1000,
    bytesTransferred: 0,
    transferred: false,
    ...overrides,
  };
}

function job(overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    id: 'job-1',
    displayName: 'SDK',
    description: '',
    priority: JobPriority.NORMAL,
    owner: 'workspace',
    state: JobState.SUSPENDED,
    files: [file()],
    times: { created: '2026-01-01T10:00:00.000Z', modified: '2026-01-01T10:05:00.000Z' },
    minimumRetryDelay: 60,
    noProgressTimeout: 1209600,
    securityFlags: 0,
    customHeaders: {},
    validator: 'none',
    ...overrides,
  };
}

test('sizes, rates and durations read like a download manager', () => {
  assert.equal(formatBytes(999), '999 B');
  assert.equal(formatBytes(1500), '1.5 KB');
  assert.equal(formatBytes(3_100_000), '3.1 MB');
  assert.equal(formatBytes(250_000_000), '250 MB');
  assert.equal(formatDuration(42), '42 s');
  assert.equal(formatDuration(61), '1 min');
  assert.equal(formatDuration(2 * 3600 + 5 * 60), '2 h 5 min');
});

test('a transferring job reads "42% · 3.1 MB/s · 2 of 5 files · 1 min left"', () => {
  const j = job({ state: JobState.TRANSFERRING });
  const progress = { bytesTotal: 100_000_000, bytesTransferred: 42_000_000, filesTotal: 5, filesTransferred: 2, rate: 3_100_000 };
  assert.equal(describeJob(j, progress), '42% · 3.1 MB/s · 2 of 5 files · 19 s left');
  const bigger = { ...progress, bytesTotal: 330_000_000, bytesTransferred: 138_600_000 };
  assert.equal(describeJob(j, bigger), '42% · 3.1 MB/s · 2 of 5 files · 1 min left');
});

test('unknown sizes show bytes so far and no time left', () => {
  const j = job({ state: JobState.TRANSFERRING, files: [file({ bytesTotal: null, bytesTransferred: 2_000_000 })] });
  const progress = progressFromFiles(j);
  assert.equal(progress.bytesTotal, null);
  assert.equal(percentDone(progress), undefined);
  assert.equal(describeJob(j, { ...progress, rate: 1_000_000 }), '2.0 MB · 1.0 MB/s · 1 file');
});

test('a failed job shows its error in short; a waiting one when it retries', () => {
  const error = {
    context: ErrorContext.REMOTE_FILE,
    code: httpStatusCode(404),
    description: 'The server answered HTTP 404. Check the URL.',
    time: '2026-01-01T10:00:00Z',
  };
  const failed = job({ state: JobState.ERROR, error });
  assert.equal(shortError(failed), 'The server answered HTTP 404.');
  assert.equal(describeJob(failed, progressFromFiles(failed)), 'Error: The server answered HTTP 404.');
  const waiting = job({
    state: JobState.TRANSIENT_ERROR,
    error: { ...error, code: httpStatusCode(503), description: 'HTTP 503.' },
    retryAt: 1_000_000 + 45_000,
  });
  assert.equal(describeJob(waiting, progressFromFiles(waiting), 1_000_000), 'Retry in 45 s · HTTP 503.');
});

test('jobs of other extensions name their owner', () => {
  const j = job({ owner: 'acme.toolchains' });
  assert.match(describeJob(j, progressFromFiles(j)), / · by acme\.toolchains$/);
});

test('context values carry the state and exactly the verbs that fit it, each followed by ":"', () => {
  assert.equal(jobContextValue(job({ state: JobState.SUSPENDED })), 'job:suspended:canResume:canCancel:canSetPriority:canAddFile:');
  const transferring = jobContextValue(job({ state: JobState.TRANSFERRING }));
  assert.match(transferring, /^job:transferring:(.*:)?canSuspend:/);
  // The menus' regex form matches it too.
  assert.match(transferring, /^job:.*:canSuspend:/);
  assert.doesNotMatch(transferring, /:canResume:|:canComplete:|:canRetry:/);
  assert.match(
    jobContextValue(job({ state: JobState.TRANSFERRED, files: [file({ transferred: true, bytesTransferred: 1000 })] })),
    /:canComplete:/,
  );
  assert.match(jobContextValue(job({ state: JobState.TRANSIENT_ERROR })), /^job:transient_error:(.*:)?canRetry:/);
  assert.equal(jobContextValue(job({ state: JobState.ACKNOWLEDGED })), 'job:acknowledged:');
  assert.equal(jobContextValue(job({ state: JobState.CANCELLED })), 'job:cancelled:');
  // A suspended job with a finished file may be completed (BITS keeps the whole files only).
  assert.ok(canDo(job({ files: [file({ transferred: true }), file({ localPath: '/tmp/dl/b' })] }), 'complete'));
  assert.ok(isActive(JobState.TRANSIENT_ERROR) && !isActive(JobState.SUSPENDED));
});

test('file context values say whether the file is at its destination', () => {
  const done = file({ transferred: true, bytesTransferred: 1000 });
  assert.equal(fileContextValue(job({ state: JobState.ACKNOWLEDGED, files: [done] }), done), 'file:done:canReveal:');
  assert.equal(fileContextValue(job({ state: JobState.TRANSFERRED, files: [done] }), done), 'file:done:');
  assert.equal(fileContextValue(job(), file({ bytesTransferred: 10 })), 'file:partial:');
});

test('URLs: only http(s), several at once, file names made safe', () => {
  assert.deepEqual(splitUrls(' https://a/x  https://b/y,\nhttps://c/z '), ['https://a/x', 'https://b/y', 'https://c/z']);
  assert.throws(
    () => parseDownloadUrl('ftp://example.com/x'),
    (e: { code: number }) => e.code === Codes.BG_E_PROTOCOL_NOT_AVAILABLE,
  );
  assert.throws(
    () => parseDownloadUrl('not a url'),
    (e: { code: number }) => e.code === Codes.E_INVALIDARG,
  );
  assert.equal(fileNameFromUrl(new URL('https://example.com/dir/My%20File.tar.gz?x=1')), 'My File.tar.gz');
  assert.equal(fileNameFromUrl(new URL('https://example.com/a%2F..%2Fb%3A')), 'a_.._b_');
  assert.equal(fileNameFromUrl(new URL('https://example.com/')), 'example.com-download');
  assert.equal(fileNameFromUrl(new URL('https://example.com/..%2F..%2Fetc')), '_.._etc');
});

test('a new file never takes an existing name or one already chosen', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'md-dest-'));
  try {
    fs.writeFileSync(path.join(dir, 'a.zip'), '');
    assert.equal(uniqueDestination(dir, 'a.zip', new Set()), path.join(dir, 'a (1).zip'));
    assert.equal(uniqueDestination(dir, 'a.zip', new Set([path.join(dir, 'a (1).zip')])), path.join(dir, 'a (2).zip'));
    assert.equal(uniqueDestination(dir, 'b', new Set()), path.join(dir, 'b'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('tooltip and details hold times, sizes, priority and the error triple, and never a header value', () => {
  const j = job({
    state: JobState.ERROR,
    priority: JobPriority.HIGH,
    customHeaders: { 'X-Token': 'secret-value-123' },
    writeOnlyHeaderNames: ['Authorization'],
    error: {
      context: ErrorContext.REMOTE_FILE,
      code: httpStatusCode(404),
      description: 'Not found',
      fileIndex: 0,
      time: '2026-01-01T10:00:00Z',
    },
  });
  const tip = jobTooltipMarkdown(j, progressFromFiles(j));
  assert.match(tip, /\*\*Priority:\*\* High/);
  assert.match(tip, /BG_E_HTTP_ERROR_404/);
  assert.match(tip, /0x80190194/);
  assert.match(tip, /remote file \(5\)/);
  assert.match(tip, /\*\*Created:\*\*/);
  const details = jobDetailsMarkdown(j, progressFromFiles(j));
  assert.ok(details.includes('X\\-Token, Authorization \\(write\\-only\\)'), details);
  assert.doesNotMatch(details + tip, /secret-value-123/);
  assert.match(details, /Destination: \/tmp\/dl\/a\\\.bin/);
});

test('names from users and servers cannot inject Markdown', () => {
  assert.equal(escapeMarkdown('[x](command:evil)'), '\\[x\\]\\(command:evil\\)');
});

test('Download Again keeps each file in its old folder under a name that overwrites nothing', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'md-again-'));
  try {
    const other = path.join(dir, 'sub');
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(dir, 'a.zip'), 'old');
    fs.writeFileSync(path.join(dir, 'a (1).zip'), 'older');
    const taken = new Set([path.join(other, 'c.bin')]);
    const previous = [path.join(dir, 'a.zip'), path.join(dir, 'b.txt'), path.join(other, 'c.bin'), path.join(dir, 'b.txt')];
    assert.deepEqual(againDestinations(previous, taken), [
      path.join(dir, 'a (2).zip'),
      path.join(dir, 'b.txt'),
      path.join(other, 'c (1).bin'),
      path.join(dir, 'b (1).txt'),
    ]);
    assert.equal(taken.size, 1, "the caller's set is not changed");
    assert.deepEqual(
      againDestinations([path.join(dir, 'a (1).zip')], new Set()),
      [path.join(dir, 'a (2).zip')],
      'a copy again is numbered from the original name',
    );
    assert.deepEqual(
      againDestinations([path.join(dir, 'gone (3).zip')], new Set()),
      [path.join(dir, 'gone (3).zip')],
      'a free old name is kept as it was',
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
