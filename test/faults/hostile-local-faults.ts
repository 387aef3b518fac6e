// The "hostile local state" block: links put at a temp file's guessable name (before the job starts, before a
// resume, before Complete), a file written at the destination while the job runs, two jobs aiming at one path,
// and names the file system cannot hold. Bytes written into a link's target, or at a final path that differ
// from the entity, count as wrong bytes; a refused case must say why with its code and fetch nothing.
import { existsSync, linkSync, lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Codes } from '../../src/core/errors';
import type { JobEngine } from '../../src/core/jobs/engine';
import { JobState } from '../../src/core/model/job';
import { tempPathFor } from '../../src/core/transfer/temp-file';
import { startJob, waitForState, type Sandbox } from '../support/engine';
import { startServer, testBytes, type Route, type TestServer } from '../support/servers';
import { withEngine } from './harness';
import type { Random } from './random';
import { emptyResult, wrongBytesBetween, type FaultResult } from './report';

interface Ctx {
  engine: JobEngine;
  box: Sandbox;
  server: TestServer;
  result: FaultResult;
  random: Random;
  /** A fresh route serving `body` (or per request, with `route`). */
  url(body: Buffer, route?: Route): string;
}

interface LocalFault {
  name: string;
  /** One run; returns a failure reason, or undefined. */
  run(ctx: Ctx, i: number): Promise<string | undefined>;
}

/** Compares a final file with the entity: counts wrong bytes and the file verified; a link there is all wrong. */
function verifyFinal(ctx: Ctx, file: string, expected: Buffer): string | undefined {
  if (!existsSync(file)) return `${path.basename(file)} missing after Complete`;
  if (lstatSync(file).isSymbolicLink()) {
    ctx.result.wrongBytes += expected.length;
    return `${path.basename(file)} is a symbolic link`;
  }
  ctx.result.wrongBytes += wrongBytesBetween(readFileSync(file), expected);
  ctx.result.filesVerified++;
  return undefined;
}

/** A victim file outside the job's reach: any change to it counts as wrong bytes. */
function victim(ctx: Ctx, i: number, size = 5000): { file: string; untouched(): string | undefined } {
  const file = path.join(ctx.box.root, `victim-${i}.bin`);
  const content = testBytes(size, 31_000 + i);
  writeFileSync(file, content);
  return {
    file,
    untouched() {
      const now = existsSync(file) ? readFileSync(file) : Buffer.alloc(0);
      const wrong = wrongBytesBetween(now, content);
      ctx.result.wrongBytes += wrong;
      return wrong === 0 ? undefined : `the link target changed (${wrong} bytes)`;
    },
  };
}

/** A job whose first answer drops at a random offset, left waiting an hour to retry, with bytes in its temp file. */
async function interrupted(ctx: Ctx, i: number, body: Buffer) {
  const at = ctx.random.int(1, body.length - 1);
  const url = ctx.url(body, (n) => (n === 1 ? { body, resetAfter: at } : { body }));
  const job = await startJob(ctx.engine, ctx.box, [{ url, name: `f-${i}.bin` }], { displayName: 'interrupted', minimumRetryDelay: 3600 });
  const waiting = await waitForState(ctx.engine, job.id, [JobState.TRANSIENT_ERROR, JobState.TRANSFERRED]);
  return { job: waiting, temp: waiting.files[0].tempPath, final: path.join(ctx.box.dest, `f-${i}.bin`) };
}

async function finishAndVerify(ctx: Ctx, jobId: string, final: string, expected: Buffer): Promise<string | undefined> {
  const end = await waitForState(ctx.engine, jobId, [JobState.TRANSFERRED, JobState.ERROR]);
  if (end.state !== JobState.TRANSFERRED) {
    ctx.result.jobsLost++;
    return `the job ended ${JobState[end.state]}: ${end.error?.description}`;
  }
  await ctx.engine.complete(jobId);
  return verifyFinal(ctx, final, expected);
}

const faults: LocalFault[] = [
  {
    name: 'symbolic link at the temp name before the first byte',
    async run(ctx, i) {
      const body = testBytes(ctx.random.int(1000, 400_000), 32_000 + i);
      const job = await ctx.engine.createJob({ displayName: 'planted', minimumRetryDelay: 0 });
      const final = path.join(ctx.box.dest, `p-${i}.bin`);
      await ctx.engine.addFile(job.id, { remoteUrl: ctx.url(body), localPath: final });
      // The temp name is predictable from the job id: a link is put there before the job runs.
      const target = victim(ctx, i);
      mkdirSync(ctx.box.dest, { recursive: true });
      symlinkSync(target.file, tempPathFor(final, job.id, 0));
      await ctx.engine.resume(job.id);
      return (await finishAndVerify(ctx, job.id, final, body)) ?? target.untouched();
    },
  },
  {
    name: 'symbolic link at the temp name before a resume',
    async run(ctx, i) {
      const body = testBytes(ctx.random.int(10_000, 600_000), 33_000 + i);
      const { job, temp, final } = await interrupted(ctx, i, body);
      const target = victim(ctx, i);
      rmSync(temp, { force: true });
      symlinkSync(target.file, temp);
      await ctx.engine.retryNow(job.id);
      return (await finishAndVerify(ctx, job.id, final, body)) ?? target.untouched();
    },
  },
  {
    name: 'hard link at the temp name before a resume',
    async run(ctx, i) {
      const body = testBytes(ctx.random.int(10_000, 600_000), 34_000 + i);
      const { job, temp, final } = await interrupted(ctx, i, body);
      const target = victim(ctx, i);
      rmSync(temp, { force: true });
      linkSync(target.file, temp);
      await ctx.engine.retryNow(job.id);
      return (await finishAndVerify(ctx, job.id, final, body)) ?? target.untouched();
    },
  },
  {
    name: 'symbolic link at the temp name before Complete (refused, fetched again)',
    async run(ctx, i) {
      const body = testBytes(ctx.random.int(1000, 400_000), 35_000 + i);
      const final = path.join(ctx.box.dest, `c-${i}.bin`);
      const job = await startJob(ctx.engine, ctx.box, [{ url: ctx.url(body), name: `c-${i}.bin` }]);
      const done = await waitForState(ctx.engine, job.id, JobState.TRANSFERRED);
      const target = victim(ctx, i);
      rmSync(done.files[0].tempPath, { force: true });
      symlinkSync(target.file, done.files[0].tempPath);
      const refused = await ctx.engine.complete(job.id).then(
        () => 'Complete accepted a link as the downloaded file',
        (err: { code: number }) =>
          err.code === Codes.BG_E_LOCAL_FILE_CHANGED ? undefined : `Complete failed with 0x${err.code.toString(16)}`,
      );
      if (existsSync(final) && lstatSync(final).isSymbolicLink()) ctx.result.wrongBytes += body.length;
      return refused ?? (await finishAndVerify(ctx, job.id, final, body)) ?? target.untouched();
    },
  },
  {
    name: 'a file written at the destination during the download',
    async run(ctx, i) {
      const body = testBytes(ctx.random.int(1000, 400_000), 36_000 + i);
      const theirs = testBytes(ctx.random.int(1, 50_000), 36_500 + i);
      const final = path.join(ctx.box.dest, `w-${i}.bin`);
      mkdirSync(ctx.box.dest, { recursive: true });
      const job = await startJob(ctx.engine, ctx.box, [{ url: ctx.url(body), name: `w-${i}.bin` }]);
      writeFileSync(final, theirs);
      await waitForState(ctx.engine, job.id, JobState.TRANSFERRED);
      const refused = await ctx.engine.complete(job.id).then(
        () => 'Complete replaced a file written after the download was added',
        (err: { code: number }) => (err.code === Codes.E_FILE_EXISTS ? undefined : `Complete failed with 0x${err.code.toString(16)}`),
      );
      const kept = wrongBytesBetween(readFileSync(final), theirs);
      ctx.result.wrongBytes += kept;
      if (refused || kept) return refused ?? 'the other writer’s file changed';
      rmSync(final);
      await ctx.engine.complete(job.id);
      return verifyFinal(ctx, final, body);
    },
  },
  {
    name: 'two jobs to one destination (the second refused)',
    async run(ctx, i) {
      const body = testBytes(ctx.random.int(1000, 400_000), 37_000 + i);
      const other = testBytes(body.length + 1, 37_500 + i);
      const final = path.join(ctx.box.dest, `t-${i}.bin`);
      const first = await startJob(ctx.engine, ctx.box, [{ url: ctx.url(body), name: `t-${i}.bin` }]);
      const second = await ctx.engine.createJob({ displayName: 'second writer', minimumRetryDelay: 0 });
      const refused = await ctx.engine.addFile(second.id, { remoteUrl: ctx.url(other), localPath: final }).then(
        () => 'the second job was allowed the same destination',
        (err: { code: number; message: string }) =>
          err.code === Codes.E_SHARING_VIOLATION && err.message.includes(first.id)
            ? undefined
            : `refused with 0x${err.code.toString(16)}: ${err.message}`,
      );
      return (await finishAndVerify(ctx, first.id, final, body)) ?? refused;
    },
  },
  {
    name: 'names the file system cannot hold (refused before any request)',
    async run(ctx, i) {
      const before = ctx.server.requests.length;
      const job = await ctx.engine.createJob({ displayName: 'names', minimumRetryDelay: 0 });
      const names = ['\u6f22'.repeat(100 + i) + '.bin', 'n'.repeat(256 + i), path.join('d'.repeat(300), 'f.bin')];
      for (const name of names) {
        const outcome = await ctx.engine
          .addFile(job.id, { remoteUrl: ctx.url(Buffer.from('x')), localPath: path.join(ctx.box.dest, name) })
          .then(
            () => `${Buffer.byteLength(name)}-byte name accepted`,
            (err: { code: number }) => (err.code === Codes.E_FILENAME_TOO_LONG ? undefined : `refused with 0x${err.code.toString(16)}`),
          );
        if (outcome) return outcome;
      }
      return ctx.server.requests.length === before ? undefined : 'a request was sent';
    },
  },
];

export async function hostileLocalScenarios(runs: number, random: Random): Promise<FaultResult[]> {
  const server = await startServer();
  let routes = 0;
  try {
    const results: FaultResult[] = [];
    for (const fault of faults) {
      const result: FaultResult = { ...emptyResult(fault.name), block: 'hostile local state' };
      for (let i = 0; i < runs; i++) {
        result.runs++;
        await withEngine({}, async (engine, box) => {
          const url = (body: Buffer, route?: Route) => {
            const p = `/local-${++routes}`;
            server.route(p, route ?? { body });
            return server.url(p);
          };
          try {
            const reason = await fault.run({ engine, box, server, result, random, url }, i);
            if (reason) result.failures.push(`run ${i}: ${reason}`);
          } catch (err) {
            result.failures.push(`run ${i}: ${(err as Error).message}`);
          }
        });
      }
      results.push(result);
    }
    return results;
  } finally {
    await server.close();
  }
}
