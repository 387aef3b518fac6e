// Job snapshots share the frozen copy of each file that did not change, make a new one for a file that did, and
// can be changed by nobody (a snapshot holder must not alter what the engine or another holder sees).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JobPriority, JobState, type FileRecord, type JobRecord } from '../../../../src/core/model/job';
import { JobSnapshots } from '../../../../src/core/jobs/snapshot';

function record(files: number): JobRecord {
  return {
    id: 'job',
    displayName: 'job',
    description: '',
    priority: JobPriority.NORMAL,
    owner: 'test',
    state: JobState.SUSPENDED,
    files: Array.from({ length: files }, (_, i) => ({
      remoteUrl: `https://example.test/${i}`,
      localPath: `/tmp/${i}`,
      tempPath: `/tmp/.${i}.part`,
      bytesTotal: null,
      bytesTransferred: 0,
      transferred: false,
    })),
    times: { created: 'c', modified: 'm' },
    minimumRetryDelay: 600,
    noProgressTimeout: 0,
    securityFlags: 0,
    customHeaders: { 'X-A': '1' },
    validator: 'none',
  };
}

test('a snapshot shares the copies of unchanged files and makes a new copy of each changed one', () => {
  const job = record(4);
  const snapshots = new JobSnapshots();
  const first = snapshots.of(job);
  job.files[1].bytesTransferred = 10;
  job.files[2].segments = [{ start: 0, end: 5, position: 0 }];
  delete (job.files[3] as Partial<FileRecord>).bytesTotal;
  const second = snapshots.of(job);
  assert.equal(second.files[0], first.files[0], 'an unchanged file is the same frozen copy');
  for (const i of [1, 2, 3]) assert.notEqual(second.files[i], first.files[i], `file ${i} changed and was copied again`);
  assert.equal(second.files[1].bytesTransferred, 10);
  assert.equal(first.files[1].bytesTransferred, 0, 'an earlier snapshot keeps what it showed');
  assert.equal('bytesTotal' in second.files[3], false, 'a removed field is gone from the new copy');

  job.files[2].segments![0].position = 3;
  const third = snapshots.of(job);
  assert.notEqual(third.files[2], second.files[2], 'a change inside a segment is a change of the file');
  assert.equal(third.files[2].segments![0].position, 3);
  assert.equal(third.files[1], second.files[1]);

  job.files.push({ ...job.files[0], localPath: '/tmp/new' });
  assert.equal(snapshots.of(job).files[4].localPath, '/tmp/new', 'an added file appears');
  assert.deepEqual(snapshots.of(job), structuredClone(job), 'a snapshot equals the record');
});

test('a snapshot is frozen all the way down, and the record stays changeable', () => {
  const job = record(2);
  job.files[0].segments = [{ start: 0, end: 5, position: 1 }];
  const snapshot = new JobSnapshots().of(job);
  assert.throws(() => ((snapshot as JobRecord).state = JobState.QUEUED), TypeError);
  assert.throws(() => (snapshot.files as FileRecord[]).push(job.files[0]), TypeError);
  assert.throws(() => (snapshot.files[0].bytesTransferred = 5), TypeError);
  assert.throws(() => (snapshot.files[0].segments![0].position = 5), TypeError);
  assert.throws(() => (snapshot.customHeaders['X-B'] = '2'), TypeError);
  assert.throws(() => (snapshot.times.modified = 'x'), TypeError);
  job.files[0].bytesTransferred = 7;
  job.customHeaders['X-B'] = '2';
  assert.equal(snapshot.files[0].bytesTransferred, 0);
  assert.equal(snapshot.customHeaders['X-B'], undefined);
});
