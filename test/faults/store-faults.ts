// Damaged stores: a job file cut short, one of garbage, an empty one, one written by a newer version and a
// write a crash interrupted. The engine still opens, reports each bad file with a clear code, sets aside the
// unreadable ones, leaves the newer one untouched, and every readable job loads and finishes whole.
import { existsSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Codes } from '../../src/core/errors';
import { JobEngine } from '../../src/core/jobs/engine';
import { JobState } from '../../src/core/jobs/model';
import { FAST, sandbox, waitForState } from '../support/engine';
import { startServer, testBytes } from '../support/servers';
import { emptyResult, wrongBytesBetween, type FaultResult } from './report';

export async function storeScenarios(): Promise<FaultResult[]> {
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
      if (unreadable.length !== 3) result.failures.push(`expected 3 unreadable files reported, got ${unreadable.length}: ${problems.map((p) => p.message).join(' | ')}`);
      if (tooNew.length !== 1) result.failures.push(`expected the newer-version file reported once, got ${tooNew.length}`);
      if (unreadable.some((p) => !p.movedTo || !existsSync(p.movedTo))) result.failures.push('an unreadable file was not set aside');
      if (!existsSync(newer) || readFileSync(newer, 'utf8') !== newerText) result.failures.push('the newer-version file was touched');
      if (problems.some((p) => !p.message.includes(path.basename(p.file)))) result.failures.push('a problem message does not name its file');
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
    if (readdirSync(jobs).filter((n) => n.includes('.corrupt-')).length !== 3) result.failures.push('the set-aside copies are not kept for inspection');
  } catch (err) {
    result.failures.push((err as Error).stack ?? String(err));
  } finally {
    await server.close();
    await box.cleanup();
  }
  return [result];
}
