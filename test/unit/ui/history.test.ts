// The download history (issue 16): what a finished job leaves behind, its bounds, and what survives a damaged store.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JobPriority, JobState, type FileRecord, type JobRecord } from '../../../src/core/model/job';
import {
  DownloadHistory,
  entryFromJob,
  HISTORY_STATE_KEY,
  MAX_FILES_PER_ENTRY,
  parseHistory,
  withEntry,
  type HistoryEntry,
} from '../../../src/ui/history';

function file(i: number, overrides: Partial<FileRecord> = {}): FileRecord {
  return {
    remoteUrl: `https://example.com/f${i}.bin`,
    localPath: `/tmp/dl/f${i}.bin`,
    tempPath: `/tmp/dl/.f${i}.bin.md-tmp`,
    bytesTotal: 1000,
    bytesTransferred: 1000,
    transferred: true,
    ...overrides,
  };
}

function job(id: string, state: JobState, files: FileRecord[] = [file(0)]): JobRecord {
  return {
    id,
    displayName: `job ${id}`,
    description: '',
    priority: JobPriority.NORMAL,
    owner: 'workspace',
    state,
    files,
    times: { created: '2026-01-01T10:00:00.000Z', modified: '2026-01-01T10:05:00.000Z' },
    minimumRetryDelay: 60,
    noProgressTimeout: 1209600,
    securityFlags: 0,
    customHeaders: {},
    validator: 'none',
  };
}

/** A Memento in memory that, like VS Code's, keeps what was last written. */
class MemoryStorage {
  readonly values = new Map<string, unknown>();
  writes = 0;
  get(key: string): unknown {
    return this.values.get(key);
  }
  async update(key: string, value: unknown): Promise<void> {
    this.writes++;
    this.values.set(key, JSON.parse(JSON.stringify(value)));
  }
}

test('only a completed or cancelled job makes an entry; a cancelled job delivered nothing', () => {
  for (const state of [JobState.QUEUED, JobState.TRANSFERRING, JobState.SUSPENDED, JobState.ERROR, JobState.TRANSFERRED]) {
    assert.equal(entryFromJob(job('a', state), 'now'), undefined, JobState[state]);
  }
  const done = entryFromJob(job('a', JobState.ACKNOWLEDGED, [file(0), file(1, { transferred: false, bytesTotal: null })]), 't');
  assert.deepEqual(done, {
    jobId: 'a',
    displayName: 'job a',
    outcome: 'completed',
    finishedAt: 't',
    files: [
      { remoteUrl: 'https://example.com/f0.bin', localPath: '/tmp/dl/f0.bin', bytes: 1000, delivered: true },
      { remoteUrl: 'https://example.com/f1.bin', localPath: '/tmp/dl/f1.bin', bytes: null, delivered: false },
    ],
    omittedFiles: 0,
  });
  assert.equal(entryFromJob(job('b', JobState.CANCELLED), 't')!.files[0].delivered, false);
  assert.equal(entryFromJob(job('b', JobState.CANCELLED), 't')!.outcome, 'cancelled');
});

test('an entry keeps at most MAX_FILES_PER_ENTRY files and counts the others', () => {
  const many = Array.from({ length: MAX_FILES_PER_ENTRY + 7 }, (_, i) => file(i));
  const entry = entryFromJob(job('big', JobState.ACKNOWLEDGED, many), 't')!;
  assert.equal(entry.files.length, MAX_FILES_PER_ENTRY);
  assert.equal(entry.omittedFiles, 7);
});

test('the history is newest first, one entry per job, and never longer than its bound', () => {
  let entries: HistoryEntry[] = [];
  for (let i = 0; i < 10; i++) entries = withEntry(entries, entryFromJob(job(`j${i}`, JobState.ACKNOWLEDGED), `t${i}`)!, 4);
  assert.deepEqual(
    entries.map((e) => e.jobId),
    ['j9', 'j8', 'j7', 'j6'],
  );
  entries = withEntry(entries, entryFromJob(job('j7', JobState.CANCELLED), 'later')!, 4);
  assert.deepEqual(
    entries.map((e) => `${e.jobId}:${e.outcome}`),
    ['j7:cancelled', 'j9:completed', 'j8:completed', 'j6:completed'],
  );
});

test('a damaged stored history keeps its well-formed entries and drops the rest', () => {
  const good = entryFromJob(job('ok', JobState.ACKNOWLEDGED), 't')!;
  assert.deepEqual(parseHistory(undefined), []);
  assert.deepEqual(parseHistory('not a list'), []);
  const parsed = parseHistory([
    null,
    42,
    { jobId: 'x' },
    good,
    { ...good, files: [{ remoteUrl: 1 }] },
    { ...good, displayName: 'duplicate' },
  ]);
  assert.deepEqual(parsed, [good]);
  const bounded = parseHistory(
    Array.from({ length: 10 }, (_, i) => ({ ...good, jobId: `j${i}` })),
    3,
  );
  assert.equal(bounded.length, 3);
});

test('DownloadHistory records finished jobs, persists them, and a new instance reads them back', async () => {
  const storage = new MemoryStorage();
  const history = new DownloadHistory(storage, 3);
  let changes = 0;
  history.onDidChange(() => changes++);
  assert.equal(history.record(job('running', JobState.TRANSFERRING)), false);
  for (const id of ['a', 'b', 'c', 'd']) assert.equal(history.record(job(id, JobState.ACKNOWLEDGED)), true);
  await history.whenStored();
  assert.equal(changes, 4);
  assert.deepEqual(
    history.list().map((e) => e.jobId),
    ['d', 'c', 'b'],
  );
  assert.deepEqual(
    (storage.get(HISTORY_STATE_KEY) as HistoryEntry[]).map((e) => e.jobId),
    ['d', 'c', 'b'],
  );

  const reloaded = new DownloadHistory(storage, 3);
  assert.deepEqual(
    reloaded.list().map((e) => e.jobId),
    ['d', 'c', 'b'],
  );
  assert.deepEqual(
    reloaded.remove(['c', 'nope']).map((e) => e.jobId),
    ['c'],
  );
  assert.equal(reloaded.clear(), 2);
  assert.equal(reloaded.clear(), 0, 'clearing an empty history writes nothing');
  await reloaded.whenStored();
  assert.deepEqual(storage.get(HISTORY_STATE_KEY), []);
  assert.deepEqual(new DownloadHistory(storage).list(), []);
});

test('a storage that fails to write keeps the history in memory', async () => {
  const history = new DownloadHistory({ get: () => undefined, update: () => Promise.reject(new Error('disk full')) });
  history.record(job('a', JobState.ACKNOWLEDGED));
  await history.whenStored();
  history.record(job('b', JobState.CANCELLED));
  await history.whenStored();
  assert.deepEqual(
    history.list().map((e) => e.jobId),
    ['b', 'a'],
  );
});
