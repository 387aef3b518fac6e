// `create` (a job with its settings and no files, SUSPENDED, as BITS CreateJob), `add JOB URL...` (BITS AddFileSet)
// and `set JOB --option...` (BITS's Set* methods): building a job step by step, as the API and the editor can.
import * as path from 'node:path';
import type { CommonArgs, FileArgs, FileSha256Arg, JobOptionArgs } from './args';
import { BitsError, Codes, ErrorContext } from '../core/errors';
import { createVerbEngine, type CliJobEngine } from './engine-factory';
import { ForwardedEngine } from './forwarded-engine';
import { resolveClientCertificate, type ResolvedClientCertificate } from './client-certificate';
import { fileTargets, prepareFolders } from './file-targets';
import { checksumChanges, headersOf, newJobOptions, propertiesPatch, writeOnlyNote } from './job-options';
import { engineLog, type CliIO } from './outcome';
import { withJob, writeJob } from './job-commands';

export async function createCommand(args: CommonArgs & { job: JobOptionArgs }, io: CliIO): Promise<number> {
  const clientCertificate = await resolveClientCertificate(args.job.clientCertificate, args.clientCertPassphraseEnv, io);
  const writeOnly = Object.keys(headersOf(args.job)?.writeOnly ?? {});
  const engine = await createVerbEngine({
    store: args.store,
    resumeStoredJobs: false,
    clientCertificatePassphrase: clientCertificate?.passphrase,
    log: engineLog(args.verbose, io),
  });
  try {
    refuseForwardedPassphrase(engine, clientCertificate);
    let job = await engine.createJob(newJobOptions(args.job, { displayName: 'download', description: '', autoComplete: false }));
    try {
      if (writeOnly.length > 0) job = await engine.setProperties(job.id, { writeOnlyHeaderNames: writeOnly });
      if (clientCertificate) job = await engine.setClientCertificate(job.id, clientCertificate.spec);
    } catch (err) {
      // Half a job is of no use: it leaves no trace in the store.
      await engine.cancel(job.id).catch(() => undefined);
      await engine.removeJob(job.id).catch(() => undefined);
      throw err;
    }
    const note = writeOnlyNote(writeOnly);
    if (note) io.stderr.write(note + '\n');
    if (args.json) writeJob(io, engine, job);
    else io.stdout.write(job.id + '\n');
    return 0;
  } finally {
    await engine.dispose();
  }
}

/**
 * A passphrase is a secret, and secrets never go through the store's command queue: the process that runs the
 * store would have none for this certificate, so it is set from that process (or with the store free) instead.
 */
function refuseForwardedPassphrase(engine: CliJobEngine, certificate: ResolvedClientCertificate | undefined): void {
  if (!(engine instanceof ForwardedEngine) || certificate?.passphrase === undefined) return;
  throw new BitsError(
    Codes.MD_E_STORE_IN_USE,
    `The store ${engine.storeDir} is run by ${engine.forwardedTo}, and a client certificate's passphrase is never handed to another process. Set this certificate in that window (Job Options), or close it and run the command again.`,
    ErrorContext.GENERAL_QUEUE_MANAGER,
  );
}

export async function addCommand(args: CommonArgs & FileArgs & { jobId: string }, io: CliIO): Promise<number> {
  const files = fileTargets(args);
  await prepareFolders(files, args.dest);
  return withJob(args, io, async (engine, job) => {
    const updated = await engine.addFiles(job.id, files);
    if (args.json) writeJob(io, engine, updated);
    else for (const f of files) io.stdout.write(path.resolve(f.localPath) + '\n');
    return 0;
  });
}

export async function setCommand(
  args: CommonArgs & { jobId: string; job: JobOptionArgs; fileSha256: FileSha256Arg[] },
  io: CliIO,
): Promise<number> {
  const clientCertificate = await resolveClientCertificate(args.job.clientCertificate, args.clientCertPassphraseEnv, io);
  return withJob(
    args,
    io,
    async (engine, job) => {
      refuseForwardedPassphrase(engine, clientCertificate);
      const patch = propertiesPatch(args.job, job);
      const fileSha256 = checksumChanges(args.fileSha256, job);
      if (fileSha256) patch.fileSha256 = fileSha256;
      if (Object.keys(patch).length > 0) await engine.setProperties(job.id, patch);
      if (args.job.priority !== undefined) await engine.setPriority(job.id, args.job.priority);
      if (clientCertificate) await engine.setClientCertificate(job.id, clientCertificate.spec);
      else if (args.job.noClientCertificate) await engine.setClientCertificate(job.id, undefined);
      const note = writeOnlyNote(patch.writeOnlyHeaderNames ?? []);
      if (note) io.stderr.write(note + '\n');
      const updated = engine.getJob(job.id)!;
      if (args.json) writeJob(io, engine, updated);
      else io.stderr.write(`Job ${job.id} updated.\n`);
      return 0;
    },
    { clientCertificatePassphrase: clientCertificate?.passphrase },
  );
}
