// `get URL... --dest DIR` (or -i FILE, -o NAME): one job with one file per URL, run to the end and completed; the
// file paths (or one JSON object) on stdout, progress on stderr.
import * as path from 'node:path';
import type { JobEngine } from '../core/jobs/engine';
import type { ClientCertificateSpec, NewFileOptions } from '../core/model/job';
import type { GetArgs } from './args';
import { createCliEngine } from './engine-factory';
import { fileTargets, prepareFolders } from './file-targets';
import { newJobOptions } from './job-options';
import { splitHeaders } from './secret-headers';
import { passphraseFromEnv, resolveClientCertificate } from './client-certificate';
import { engineLog, reportOutcome, type CliIO } from './outcome';
import { superviseJobs } from './supervise';
import { checkCaFiles } from './trust';

export async function getCommand(args: GetArgs, io: CliIO): Promise<number> {
  const files = fileTargets(args);
  checkCaFiles(args.caFiles);
  await prepareFolders(files, args.dest);
  // get sends its own write-only headers: the --header credentials and the environment's.
  const headers = splitHeaders(args.job.headers ?? {});
  // Checked before anything is created: a wrong passphrase or a key that does not match leaves no job behind.
  const clientCertificate = await resolveClientCertificate(args.job.clientCertificate, args.clientCertPassphraseEnv, io);
  const retryDelay = args.job.retryDelaySeconds ?? 5;
  const engine = await createCliEngine({
    clientCertificatePassphrase: clientCertificate?.passphrase ?? passphraseFromEnv(args.clientCertPassphraseEnv),
    writeOnlyHeaders: headers.writeOnly,
    store: args.store,
    validator: args.validator,
    caFiles: args.caFiles,
    limitRate: args.limitRate,
    resumeStoredJobs: false,
    // BITS's minimum is 5 s; a smaller --retry-delay is honoured because the user asked for it.
    retryDelayFloorSeconds: Math.min(5, retryDelay),
    log: engineLog(args.verbose, io),
  });
  try {
    // Only when asked: otherwise the engine's default (8, reached only while more connections help).
    if (args.connections !== undefined) engine.setSegmentPolicy({ connections: args.connections });
    const jobId = await createJob(engine, args, files, headers, clientCertificate?.spec);
    return await superviseJobs(engine, [jobId], io, args.json, (jobs) => reportOutcome(jobs, io, args.json, args.store));
  } finally {
    await engine.dispose();
  }
}

async function createJob(
  engine: JobEngine,
  args: GetArgs,
  files: NewFileOptions[],
  headers: ReturnType<typeof splitHeaders>,
  clientCertificate: ClientCertificateSpec | undefined,
): Promise<string> {
  const urls = files.map((f) => f.remoteUrl).join(' ');
  const job = await engine.createJob(
    newJobOptions(args.job, {
      displayName: files.length === 1 ? path.basename(files[0].localPath) : `${files.length} files`,
      // A job description holds at most 1,024 characters (BITS); many URLs are summarized rather than refused.
      description: urls.length <= 1024 ? urls : `${files.length} URLs, the first ${files[0].remoteUrl}`.slice(0, 1024),
      autoComplete: true,
    }),
  );
  try {
    // Names only: the values stay in this process (see secret-headers.ts).
    if (Object.keys(headers.writeOnly).length > 0)
      await engine.setProperties(job.id, { writeOnlyHeaderNames: Object.keys(headers.writeOnly) });
    if (clientCertificate) await engine.setClientCertificate(job.id, clientCertificate);
    await engine.addFiles(job.id, files);
    await engine.resume(job.id);
  } catch (err) {
    // A job that could not be set up is of no use to anyone: it leaves no trace in the store.
    await engine.cancel(job.id).catch(() => undefined);
    await engine.removeJob(job.id).catch(() => undefined);
    throw err;
  }
  return job.id;
}
