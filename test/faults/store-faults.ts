// Damaged stores: a job file cut short, one of garbage, an empty one, one written by a newer version and a
// write a crash interrupted. The engine still opens, reports each bad file with a clear code, sets aside the
// unreadable ones, leaves the newer one untouched, and every readable job loads and finishes whole.
// Hostile local state: job files written to do harm (nested 5,000 levels deep, a temp path aimed at a file
// outside the destination, absurd fields) are set aside and never acted on; a store whose disk is full costs
// no job and no byte.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Codes } from '../../src/core/errors';
import { JobEngine } from '../../src/core/jobs/engine';
import { JobState } from '../../src/core/model/job';
import { FAST, sandbox, waitForState } from '../support/engine';
import { startServer, testBytes, type TestServer } from '../support/servers';
import { emptyResult, wrongBytesBetween, type FaultResult } from './report';

export async function storeScenarios(): Promise<FaultResult[]> {
  return [await damagedStore(), ...(await hostileStoreScenarios())];
}

async function damagedStore(): Promise<FaultResult> {
  const result = emptyResult('corrupt, truncated, empty and newer-version store files');
  const server = await startServer();
  const box = sandbox();
  try {
    result.runs++;
    const bodies = [testBytes(300_000, 9501), testBytes(200_000, 9502), testBytes(100_000, 9503)];
    bodies.forEach((body, i) => server.route(`/store-${i}`, { body }));
    const first = await JobEngine.open({ storeDir: box.store, ...FAST });
    const ids: string[] = [];
    for (let i = 0; i < bodies.length; i++) {
      const job = await first.createJob({ displayName: `kept ${i}`, minimumRetryDelay: 0 });
      await first.addFile(job.id, { remoteUrl: server.url(`/store-${i}`), localPath: path.join(box.dest, `kept-${i}.bin`) });
      ids.push(job.id);
    }
    const victim = await first.createJob({ displayName: 'cut short', minimumRetryDelay: 0 });
    await first.dispose();

    const jobs = path.join(box.store, 'jobs');
    const victimFile = path.join(jobs, `${victim.id}.json`);
    truncateSync(victimFile, Math.floor(readFileSync(victimFile).length / 2));
    writeFileSync(path.join(jobs, '00000000-0000-4000-8000-00000000000a.json'), '\u0000\u0001garbage{{');
    writeFileSync(path.join(jobs, '00000000-0000-4000-8000-00000000000b.json'), '');
    const newer = path.join(jobs, '00000000-0000-4000-8000-00000000000c.json');
    const newerText = JSON.stringify({ version: 99, job: { id: 'from-the-future', shape: 'unknown' } });
    writeFileSync(newer, newerText);

    const engine = await JobEngine.open({ storeDir: box.store, ...FAST });
    try {
      const problems = engine.storeProblems;
      const unreadable = problems.filter((p) => p.code === Codes.MD_E_STORE_UNREADABLE);
      const tooNew = problems.filter((p) => p.code === Codes.MD_E_STORE_TOO_NEW);
      if (unreadable.length !== 3)
        result.failures.push(
          `expected 3 unreadable files reported, got ${unreadable.length}: ${problems.map((p) => p.message).join(' | ')}`,
        );
      if (tooNew.length !== 1) result.failures.push(`expected the newer-version file reported once, got ${tooNew.length}`);
      if (unreadable.some((p) => !p.movedTo || !existsSync(p.movedTo))) result.failures.push('an unreadable file was not set aside');
      if (!existsSync(newer) || readFileSync(newer, 'utf8') !== newerText) result.failures.push('the newer-version file was touched');
      if (problems.some((p) => !p.message.includes(path.basename(p.file))))
        result.failures.push('a problem message does not name its file');
      for (let i = 0; i < ids.length; i++) {
        if (!engine.getJob(ids[i])) {
          result.jobsLost++;
          result.failures.push(`readable job ${i} did not load`);
          continue;
        }
        await engine.resume(ids[i]);
        const end = await waitForState(engine, ids[i], [JobState.TRANSFERRED, JobState.ERROR]);
        if (end.state !== JobState.TRANSFERRED) {
          result.jobsLost++;
          result.failures.push(`job ${i} ended ${JobState[end.state]}`);
          continue;
        }
        await engine.complete(ids[i]);
        result.wrongBytes += wrongBytesBetween(readFileSync(path.join(box.dest, `kept-${i}.bin`)), bodies[i]);
        result.filesVerified++;
      }
    } finally {
      await engine.dispose();
    }
    // A second open sees the set-aside files no more, and the newer one again (it stays for the newer version).
    const again = await JobEngine.open({ storeDir: box.store, ...FAST });
    const left = again.storeProblems.map((p) => p.code);
    await again.dispose();
    if (left.length !== 1 || left[0] !== Codes.MD_E_STORE_TOO_NEW) result.failures.push(`second open reports ${left.length} problems`);
    if (readdirSync(jobs).filter((n) => n.includes('.corrupt-')).length !== 3)
      result.failures.push('the set-aside copies are not kept for inspection');
  } catch (err) {
    result.failures.push((err as Error).stack ?? String(err));
  } finally {
    await server.close();
    await box.cleanup();
  }
  return result;
}

type StoredJob = { version: number; job: Record<string, unknown> & { files: Record<string, unknown>[] } };

/** What a hostile edit does to a stored job; `victim` is a file outside every destination that must survive. */
interface HostileEdit {
  name: string;
  edit(stored: StoredJob, victim: string): string;
}

const hostileEdits: HostileEdit[] = [
  {
    name: 'nested 5,000 levels deep',
    edit: (s) => JSON.stringify(s).replace('"customHeaders":{}', `"customHeaders":{"X":${'['.repeat(5000)}${']'.repeat(5000)}}`),
  },
  { name: 'temp path aimed outside the destination', edit: (s, victim) => ((s.job.files[0].tempPath = victim), JSON.stringify(s)) },
  { name: 'relative local path', edit: (s) => ((s.job.files[0].localPath = 'escape.bin'), JSON.stringify(s)) },
  {
    name: '".." in the local path',
    edit: (s) => ((s.job.files[0].localPath = `${String(s.job.files[0].localPath)}/../../escape.bin`), JSON.stringify(s)),
  },
  { name: 'flags 0xffffffff', edit: (s) => ((s.job.securityFlags = 0xffffffff), JSON.stringify(s)) },
  { name: 'state 42', edit: (s) => ((s.job.state = 42), JSON.stringify(s)) },
  { name: 'a file: URL', edit: (s) => ((s.job.files[0].remoteUrl = 'file:///etc/passwd'), JSON.stringify(s)) },
  { name: 'header injection', edit: (s) => ((s.job.customHeaders = { 'X-A': 'a\r\nHost: evil' }), JSON.stringify(s)) },
  { name: 'an infinite retry delay', edit: (s) => JSON.stringify(s).replace(/"minimumRetryDelay":\d+/, '"minimumRetryDelay":1e400') },
];

/**
 * Two good jobs and one job file per hostile edit, all in one store. Each hostile file is set aside with a clear
 * reason; list, get and cancel work for every job; the victim file survives cancelling everything; the good jobs
 * finish with the right bytes.
 */
async function hostileJobFiles(server: TestServer): Promise<FaultResult> {
  const result = emptyResult('hostile local state: harmful job files (deep nesting, foreign temp path, absurd fields)');
  const box = sandbox();
  try {
    result.runs++;
    const bodies = [testBytes(250_000, 9601), testBytes(150_000, 9602)];
    bodies.forEach((body, i) => server.route(`/hostile-${i}`, { body }));
    const first = await JobEngine.open({ storeDir: box.store, ...FAST });
    const good: string[] = [];
    for (let i = 0; i < bodies.length; i++) {
      const job = await first.createJob({ displayName: `good ${i}`, minimumRetryDelay: 0 });
      await first.addFile(job.id, { remoteUrl: server.url(`/hostile-${i}`), localPath: path.join(box.dest, `good-${i}.bin`) });
      good.push(job.id);
    }
    const hostile: string[] = [];
    for (const edit of hostileEdits) {
      const job = await first.createJob({ displayName: edit.name });
      await first.addFile(job.id, { remoteUrl: server.url('/hostile-0'), localPath: path.join(box.dest, `${hostile.length}`, 'h.bin') });
      hostile.push(job.id);
    }
    await first.dispose();
    const victim = path.join(box.root, 'precious.txt');
    writeFileSync(victim, 'keep me');
    const jobs = path.join(box.store, 'jobs');
    hostileEdits.forEach((edit, i) => {
      const file = path.join(jobs, `${hostile[i]}.json`);
      writeFileSync(file, edit.edit(JSON.parse(readFileSync(file, 'utf8')) as StoredJob, victim));
    });

    const engine = await JobEngine.open({ storeDir: box.store, ...FAST });
    try {
      // Reading every job is what a deeply nested record broke for all of them.
      const listed = engine.listAllJobs().map((j) => j.id);
      hostileEdits.forEach((edit, i) => {
        const problem = engine.storeProblems.find((p) => p.file === path.join(jobs, `${hostile[i]}.json`));
        if (listed.includes(hostile[i])) result.failures.push(`${edit.name}: the job was loaded`);
        else if (problem?.code !== Codes.MD_E_STORE_UNREADABLE || !problem.movedTo || !existsSync(problem.movedTo))
          result.failures.push(`${edit.name}: not set aside with MD_E_STORE_UNREADABLE`);
      });
      for (const id of listed) if (!good.includes(id)) await engine.cancel(id);
      if (!existsSync(victim) || readFileSync(victim, 'utf8') !== 'keep me')
        result.failures.push('a file outside every destination was touched');
      for (let i = 0; i < good.length; i++) {
        if (!engine.getJob(good[i])) {
          result.jobsLost++;
          result.failures.push(`good job ${i} did not load`);
          continue;
        }
        await engine.resume(good[i]);
        const end = await waitForState(engine, good[i], [JobState.TRANSFERRED, JobState.ERROR]);
        if (end.state !== JobState.TRANSFERRED) {
          result.jobsLost++;
          result.failures.push(`good job ${i} ended ${JobState[end.state]}: ${end.error?.description}`);
          continue;
        }
        await engine.complete(good[i]);
        result.wrongBytes += wrongBytesBetween(readFileSync(path.join(box.dest, `good-${i}.bin`)), bodies[i]);
        result.filesVerified++;
      }
      if (existsSync(path.join(box.root, 'escape.bin')) || existsSync(path.join(box.dest, 'escape.bin')))
        result.failures.push('a file was written outside its folder');
    } finally {
      await engine.dispose();
    }
  } catch (err) {
    result.failures.push((err as Error).stack ?? String(err));
  } finally {
    await box.cleanup();
  }
  return result;
}

/**
 * The store's disk fills up while jobs run (a 64 KiB tmpfs under the store, filled). Saving fails with a clear
 * E_DISK_FULL in the log; the downloads to a healthy destination still finish with the right bytes; the job files
 * on disk stay whole (the last good version) with no temp file of a failed write left; with space again, the
 * store opens with every job.
 */
async function fullStoreDisk(server: TestServer): Promise<FaultResult> {
  const result = emptyResult("hostile local state: the store's disk fills up while jobs run");
  const box = sandbox();
  mkdirSync(box.store, { recursive: true });
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', box.store], { encoding: 'utf8' });
  try {
    result.runs++;
    if (mount.status !== 0) {
      result.failures.push(
        `cannot set up the fault (not skipped): mount tmpfs failed: ${(mount.stderr || mount.error?.message || '').trim()}`,
      );
      return result;
    }
    const bodies = [testBytes(400_000, 9701), testBytes(300_000, 9702)];
    bodies.forEach((body, i) => server.route(`/full-store-${i}`, { body, bytesPerSecond: 1_000_000 }));
    const logged: string[] = [];
    const engine = await JobEngine.open({
      storeDir: box.store,
      ...FAST,
      log: (level, message) => level === 'error' && logged.push(message),
    });
    const ids: string[] = [];
    try {
      for (let i = 0; i < bodies.length; i++) {
        const job = await engine.createJob({ displayName: `full ${i}`, minimumRetryDelay: 0 });
        await engine.addFile(job.id, { remoteUrl: server.url(`/full-store-${i}`), localPath: path.join(box.dest, `full-${i}.bin`) });
        ids.push(job.id);
      }
      spawnSync('dd', ['if=/dev/zero', `of=${path.join(box.store, 'fill')}`, 'bs=4k', 'count=100']);
      for (const id of ids) await engine.resume(id);
      for (let i = 0; i < ids.length; i++) {
        const end = await waitForState(engine, ids[i], [JobState.TRANSFERRED, JobState.ERROR]);
        if (end.state !== JobState.TRANSFERRED) {
          result.jobsLost++;
          result.failures.push(`job ${i} ended ${JobState[end.state]}: ${end.error?.description}`);
          continue;
        }
        await engine.complete(ids[i]);
        result.wrongBytes += wrongBytesBetween(readFileSync(path.join(box.dest, `full-${i}.bin`)), bodies[i]);
        result.filesVerified++;
      }
    } finally {
      await engine.dispose();
    }
    if (!logged.some((m) => /the disk is full \(ENOSPC\)\. Free some space/.test(m)))
      result.failures.push(`no clear disk-full message was logged: ${logged.slice(0, 2).join(' | ')}`);
    const leftovers = readdirSync(path.join(box.store, 'jobs')).filter((n) => !n.endsWith('.json'));
    if (leftovers.length > 0) result.failures.push(`failed writes left ${leftovers.join(', ')}`);
    spawnSync('rm', ['-f', path.join(box.store, 'fill')]);
    const again = await JobEngine.open({ storeDir: box.store, ...FAST, resumeStoredJobs: false });
    try {
      if (again.storeProblems.length > 0)
        result.failures.push(`the store was damaged: ${again.storeProblems.map((p) => p.message).join(' | ')}`);
      for (const id of ids) if (!again.getJob(id)) result.jobsLost++;
    } finally {
      await again.dispose();
    }
  } catch (err) {
    result.failures.push((err as Error).stack ?? String(err));
  } finally {
    spawnSync('umount', [box.store]);
    await box.cleanup();
  }
  return result;
}

async function hostileStoreScenarios(): Promise<FaultResult[]> {
  const server = await startServer();
  try {
    return [await hostileJobFiles(server), await fullStoreDisk(server)];
  } finally {
    await server.close();
  }
}
