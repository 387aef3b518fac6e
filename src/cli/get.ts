// `get URL... --dest DIR`: one job with one file per URL, run to the end and completed; the file paths (or one
// JSON object) on stdout, progress on stderr.
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { BitsError, Codes, ErrorContext, fileSystemError } from '../core/errors';
import type { JobEngine } from '../core/jobs/engine';
import type { GetArgs } from './args';
import { createCliEngine } from './engine-factory';
import { splitHeaders } from './secret-headers';
import { passphraseFromEnv, resolveClientCertificate } from './client-certificate';
import type { ClientCertificateSpec } from '../core/jobs/model';
import { fileNamesFor } from './names';
import { engineLog, reportOutcome, type CliIO } from './outcome';
import { UsageError } from './usage';
import { superviseJobs } from './supervise';

export async function getCommand(args: GetArgs, io: CliIO): Promise<number> {
  const names = fileNamesFor(args.urls);
  const targets = names.map((name) => path.join(args.dest, name));
  if (!args.overwrite) {
    const existing = targets.filter((t) => existsSync(t));
    if (existing.length > 0) throw new UsageError(`${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''}; pass --overwrite to replace, or choose another --dest.`);
  }
  await prepareDest(args.dest);
  const headers = splitHeaders(args.headers);
  // Checked before anything is created: a wrong passphrase or a key that does not match leaves no job behind.
  const clientCertificate = await resolveClientCertificate(args.clientCertificate, args.clientCertPassphraseEnv, io);
  const engine = await createCliEngine({
    clientCertificatePassphrase: clientCertificate?.passphrase ?? passphraseFromEnv(args.clientCertPassphraseEnv),
    writeOnlyHeaders: headers.writeOnly,
    store: args.store,
    validator: args.validator,
    resumeStoredJobs: false,
    // BITS's minimum is 5 s; a smaller --retry-delay is honoured because the user asked for it.
    retryDelayFloorSeconds: Math.min(5, args.retryDelaySeconds),
    log: engineLog(args.verbose, io),
  });
  try {
    // Only when asked: otherwise the engine's default (8, reached only while more connections help).
    if (args.connections !== undefined) engine.setSegmentPolicy({ connections: args.connections });
    const jobId = await createJob(engine, args, targets, headers, clientCertificate?.spec);
    return await superviseJobs(engine, [jobId], io, args.json, (jobs) => reportOutcome(jobs, io, args.json, args.store));
  } finally {
    await engine.dispose();
  }
}

/** The --dest folder, made when missing; a file there, or a folder that cannot be made, is a clear error. */
async function prepareDest(dest: string): Promise<void> {
  const existing = await fs.stat(dest).catch(() => undefined);
  if (existing && !existing.isDirectory()) {
    throw new BitsError(
      Codes.E_INVALIDARG,
      `--dest ${dest} is a file, not a folder. --dest names the folder to download into: give a folder (it is made if missing), or move that file away.`,
      ErrorContext.LOCAL_FILE,
    );
  }
  try {
    await fs.mkdir(dest, { recursive: true });
  } catch (err) {
    throw fileSystemError(err, `Creating the --dest folder ${dest}`, ErrorContext.LOCAL_FILE, {
      denied: 'Choose a --dest folder you can write to.',
      full: 'Free some space on that disk, or choose a --dest folder on another disk.',
      other: 'Choose another --dest folder, or move the file that is in the way.',
    });
  }
}

async function createJob(engine: JobEngine, args: GetArgs, targets: string[], headers: ReturnType<typeof splitHeaders>, clientCertificate: ClientCertificateSpec | undefined): Promise<string> {
  const job = await engine.createJob({
    displayName: targets.length === 1 ? path.basename(targets[0]) : `${targets.length} files`,
    // A job description holds at most 1,024 characters (BITS); many URLs are summarized rather than refused.
    description: args.urls.join(' ').length <= 1024 ? args.urls.join(' ') : `${args.urls.length} URLs, the first ${args.urls[0]}`.slice(0, 1024),
    owner: 'cli',
    priority: args.priority,
    minimumRetryDelay: args.retryDelaySeconds,
    noProgressTimeout: args.noProgressTimeoutSeconds,
    securityFlags: args.securityFlags,
    customHeaders: headers.stored,
    autoComplete: true,
  });
  try {
    // Names only: the values stay in this process (see secret-headers.ts).
    if (Object.keys(headers.writeOnly).length > 0) await engine.setProperties(job.id, { writeOnlyHeaderNames: Object.keys(headers.writeOnly) });
    if (clientCertificate) await engine.setClientCertificate(job.id, clientCertificate);
    await engine.addFiles(
      job.id,
      args.urls.map((url, i) => ({ remoteUrl: url, localPath: targets[i], sha256: args.sha256[i] })),
    );
    await engine.resume(job.id);
  } catch (err) {
    // A job that could not be set up is of no use to anyone: it leaves no trace in the store.
    await engine.cancel(job.id).catch(() => undefined);
    await engine.removeJob(job.id).catch(() => undefined);
    throw err;
  }
  return job.id;
}
