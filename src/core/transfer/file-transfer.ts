// One file's transfer: continue from the bytes in its temp file with Range + If-Range, follow redirects per the
// job's policy, restart from zero when the server cannot continue or the remote changed, stream the body to
// disk (over several Range connections when the file is large and the server allows), and check the sha256
// before the file counts as transferred.
import type { Hash } from 'node:crypto';
import type { promises as fs } from 'node:fs';
import type { ResponseBody } from './http-client';
import { BitsError, Codes, ErrorContext } from '../errors';
import type { FileRecord } from '../model/job';
import { displayUrl } from '../util/url';
import { localFileError } from './network-errors';
import { local, open, stopIfAsked, translate, TransferStopped, withWatchdog, type Opened, type TransferHost } from './request';
import { canContinue, isStrongLastModified, planResponse, type ResponsePlan } from './response';
import { fetchSegments, SegmentsUnusable } from './segmented-transfer';
import { qualifiesForSegments, segmentedBytes, segmentsAreSound, splitIntoSegments } from './segments';
import { BodyOverrun, LocalWriteFailure, overrunError, receiveBody, WRITE_BATCH_BYTES } from './body-receiver';
import { createTemp, discardTemp, hashPrefix, inspectTemp, openOwnTemp } from './temp-file';

export { TransferStopped, USER_AGENT, type TransferHost } from './request';

/** A single file may be asked for again without a range this many times in one attempt before it is an error. */
const MAX_REFETCHES = 3;
/** A file is split into range pieces at most this many times in one attempt (then fetched over one connection). */
const MAX_SPLITS = 2;

export async function transferFile(host: TransferHost): Promise<void> {
  const found = await checkTemp(host);
  // A split dropped because the remote changed may be tried once more; a server whose every range answer is
  // wrong would otherwise have the file split, dropped and fetched whole again without end.
  const splits: Splits = { allowed: true, left: MAX_SPLITS };
  if (host.file.segments !== undefined) {
    const outcome = await continueSegments(host);
    if (outcome === 'done') return;
    splits.allowed = outcome === 'again' && --splits.left > 0;
  }
  const offset = await resumeOffset(host, found);
  const file = host.file;
  if (
    file.bytesTotal !== null &&
    offset === file.bytesTotal &&
    file.tempIdentity !== undefined &&
    (offset > 0 || file.etag !== undefined)
  ) {
    await finish(host, undefined);
    return;
  }
  await fetchFrom(host, offset, splits);
}

/** Whether the file may still be split into range pieces in this attempt, and how many more times. */
interface Splits {
  allowed: boolean;
  left: number;
}

type FoundTemp = Awaited<ReturnType<typeof inspectTemp>>;

/**
 * What is at the temp name must be the file this job made: a link or a replacement there is removed (never
 * followed, never written to), and the file starts again.
 */
async function checkTemp(host: TransferHost): Promise<FoundTemp | undefined> {
  const file = host.file;
  const temp = file.tempPath;
  // Nothing is known of a file never answered for: any temp file it has holds bytes nobody can vouch for, and
  // opening it for writing ('w') drops them. So a fresh file costs no stat and no mkdir (those only when the
  // folder is missing), which counts in a job of a thousand small files.
  const fresh = file.segments === undefined && file.etag === undefined && file.lastModified === undefined && file.bytesTotal === null;
  const found = fresh ? undefined : await local(temp, () => inspectTemp(file));
  if (found !== undefined && 'foreign' in found) {
    host.log(
      'warn',
      `temp file ${temp} is not the file this job created (${found.foreign}); removing that name and starting the file again`,
    );
    await local(temp, () => discardTemp(file));
    await dropSegments(host, false);
  }
  return found;
}

/** Where the file goes on from: the bytes in its temp file when a validator vouches for them, else 0. */
async function resumeOffset(host: TransferHost, found: FoundTemp | undefined): Promise<number> {
  const file = host.file;
  const temp = file.tempPath;
  // The temp file is the truth about what was received (the record may lag it by a coalesced write).
  let offset = found !== undefined && 'size' in found && file.tempIdentity !== undefined ? found.size : 0;
  if (file.bytesTotal !== null && offset > file.bytesTotal) {
    host.log('warn', `temp file ${temp} is longer than the remote file; starting it again`);
    offset = await discard(file);
  }
  if (offset > 0 && !canContinue(file)) {
    // Bytes no strong ETag or Last-Modified vouches for (the server sent none, or the process died before their
    // first save): a Range would append whatever version the server has now to them. Start again.
    host.log('info', `temp file ${temp} has bytes but no validator that can vouch for them; starting it again`);
    offset = await discard(file);
  }
  file.bytesTransferred = offset;
  return offset;
}

/** Asks for the file from `start` until it is whole: again without a range, split, or for the next part, as the answers say. */
async function fetchFrom(host: TransferHost, start: number, splits: Splits): Promise<void> {
  const file = host.file;
  let offset = start;
  let refetches = 0;
  let withoutRange = false;
  for (;;) {
    stopIfAsked(host);
    if (withoutRange && offset > 0) offset = await discard(file);
    file.bytesTransferred = offset;
    // A start from zero opens (creates) its temp file while the request is out. Creating a file costs this
    // machine 0.2-0.5 ms at times, about what a 100 KiB answer takes to arrive, and the first write waited for it.
    const early = offset === 0 ? openTemp(file, 0) : undefined;
    const { response, plan, where } = await ask(host, offset, early);
    if (plan.kind === 'error') throw plan.error;
    if (plan.kind === 'refetch') {
      host.log('info', `${where}: ${plan.reason}; requesting the whole file again`);
      if (++refetches > MAX_REFETCHES) {
        throw new BitsError(
          Codes.BG_E_INVALID_SERVER_RESPONSE,
          `${where} keeps answering range requests wrongly (${plan.reason}).`,
          ErrorContext.REMOTE_FILE,
          {
            transient: true,
          },
        );
      }
      withoutRange = true;
      continue;
    }
    if (plan.kind === 'complete') {
      file.bytesTotal = plan.total;
      await finish(host, undefined);
      return;
    }
    if (plan.restarted) {
      host.log(
        'info',
        `${where} sent the whole file instead of bytes from ${offset} (range not supported, or the file changed); starting it again`,
      );
      offset = await discard(file);
      file.bytesTransferred = 0;
    }
    adoptValidators(host, plan, response.headers['date']);
    if (splits.allowed && offset === 0 && qualifiesForSegments(host.segmentPolicy(), plan, response.headers['accept-ranges'], file)) {
      // The split sizes its own temp file: the early open (which creates the file anew) must be over before that, or it could
      // empty the file under the first pieces.
      await early?.discard();
      // The answer's body becomes the first piece's connection (no second request for the same bytes).
      const outcome = await startSegments(host, plan.total!, response).finally(() => response.body.destroy());
      if (outcome === 'done') return;
      splits.allowed = outcome === 'again' && --splits.left > 0;
      offset = 0;
      continue;
    }
    const next = await receivePart(host, { response, plan, where }, offset, early);
    if (next === 'done') return;
    offset = next;
  }
}

type BodyPlan = Extract<ResponsePlan, { kind: 'body' }>;

/** The server's answer to a GET from `offset`, and what to do with it (planResponse). */
interface Answer<P extends ResponsePlan = ResponsePlan> {
  response: Opened;
  plan: P;
  /** The server, as a person reads it. */
  where: string;
}

/** Sends the GET from `offset` and plans its answer; an answer without a body to read is let go of here. */
async function ask(host: TransferHost, offset: number, early: OpeningTemp | undefined): Promise<Answer> {
  const file = host.file;
  let response: Opened;
  try {
    response = await open(host, offset);
  } catch (err) {
    await early?.discard();
    throw err;
  }
  const where = displayUrl(response.url);
  const plan = planResponse(
    response.status,
    response.headers,
    {
      offset,
      knownTotal: file.bytesTotal,
      etag: file.etag,
      lastModified: file.lastModified,
      lastModifiedStrong: file.lastModifiedStrong,
    },
    where,
  );
  if (plan.kind !== 'body') {
    response.body.destroy();
    // An error leaves no temp file behind; a refetch or a file already whole keeps the one it names.
    if (plan.kind === 'error') await early?.discard();
    else early?.release();
  }
  return { response, plan, where };
}

/** The answer's validators and size become the file's; the record is saved when they changed. */
function adoptValidators(host: TransferHost, plan: BodyPlan, date: string | undefined): void {
  const file = host.file;
  // A continuation (its validators checked by planResponse) keeps the ones the bytes were fetched under.
  const etag = plan.start > 0 ? file.etag : plan.etag;
  const lastModified = plan.start > 0 ? file.lastModified : plan.lastModified;
  const lastModifiedStrong = plan.start > 0 ? file.lastModifiedStrong : isStrongLastModified(lastModified, date) || undefined;
  const changed =
    file.etag !== etag ||
    file.lastModified !== lastModified ||
    file.lastModifiedStrong !== lastModifiedStrong ||
    file.bytesTotal !== plan.total;
  file.etag = etag;
  file.lastModified = lastModified;
  file.lastModifiedStrong = lastModifiedStrong;
  file.bytesTotal = plan.total;
  // No need to wait for this write: a restart removes the temp file before new bytes arrive, so stale stored validators can
  // only make a resume ask with an old If-Range, which the server answers with the whole file (a restart).
  if (changed) host.save();
}

/** Receives an answer's body over this one connection: 'done' when the file is whole, else where the next part starts. */
async function receivePart(
  host: TransferHost,
  { response, plan, where }: Answer<BodyPlan>,
  offset: number,
  early: OpeningTemp | undefined,
): Promise<number | 'done'> {
  const file = host.file;
  const temp = file.tempPath;
  host.onAnswered?.(plan.total);
  host.onResponding();
  const hash = file.sha256 ? await local(temp, () => hashPrefix(temp, offset)) : undefined;
  // Never past the range asked for: a 206's Content-Range bounds its body, whatever its framing says.
  const written = await receive(host, response.body, offset, hash, where, early, plan.end === null ? undefined : plan.end - offset);
  const reached = offset + written;
  file.bytesTransferred = reached;
  if (plan.end !== null && reached < plan.end) {
    throw new BitsError(
      Codes.BG_E_CONNECTION_CLOSED,
      `The connection to ${where} closed after ${reached} of ${plan.end} bytes; the bytes received are kept and the transfer continues from there.`,
      ErrorContext.GENERAL_TRANSPORT,
      { transient: true },
    );
  }
  if (file.bytesTotal === null) file.bytesTotal = reached;
  if (reached >= file.bytesTotal) {
    await finish(host, hash);
    return 'done';
  }
  // A 206 that served less than the rest (a server that caps ranges): ask for the next part.
  if (written === 0) {
    throw new BitsError(Codes.BG_E_INVALID_SERVER_RESPONSE, `${where} sent an empty part of the file.`, ErrorContext.REMOTE_FILE, {
      transient: true,
    });
  }
  return reached;
}

type SegmentsOutcome = 'done' | 'again' | 'single';

/** Splits the file and fetches its segments. The record names the split before the temp file can hold a byte. */
async function startSegments(host: TransferHost, total: number, probe: Opened): Promise<SegmentsOutcome> {
  const file = host.file;
  const policy = host.segmentPolicy();
  file.segments = splitIntoSegments(total, policy.connections);
  file.bytesTransferred = 0;
  await host.saveNow();
  // Full length at once (sparse): every segment writes inside the file, and a wrong size shows a damaged split.
  await local(file.tempPath, async () => {
    const handle = await createTemp(file);
    try {
      await handle.truncate(total);
    } finally {
      await handle.close();
    }
  });
  host.log(
    'info',
    `${displayUrl(file.remoteUrl)}: ${total} bytes in ${file.segments.length} range pieces, over up to ${policy.connections} connections`,
  );
  return continueSegments(host, probe);
}

/**
 * Continues a segmented file from its record. 'again': the split was dropped (damaged, or the remote changed), so
 * start the file over; 'single': the server ignores ranges, so fetch it over one connection.
 */
async function continueSegments(host: TransferHost, probe?: Opened): Promise<SegmentsOutcome> {
  const file = host.file;
  const temp = file.tempPath;
  const found = await local(temp, () => inspectTemp(file));
  if (!segmentsAreSound(file.segments, file.bytesTotal) || found === undefined || !('size' in found) || found.size !== file.bytesTotal) {
    host.log('warn', `the stored segments of ${temp} do not match the temp file; starting the file again`);
    await dropSegments(host, false);
    return 'again';
  }
  file.bytesTransferred = segmentedBytes(file.segments);
  try {
    await fetchSegments(host, probe);
  } catch (err) {
    if (!(err instanceof SegmentsUnusable)) throw err;
    host.log('info', `${err.reason}; ${err.rangesUnsupported ? 'continuing over one connection' : 'starting the file again'}`);
    await dropSegments(host, err.rangesUnsupported);
    return err.rangesUnsupported ? 'single' : 'again';
  }
  file.bytesTransferred = file.bytesTotal!;
  try {
    await finish(host, undefined);
  } finally {
    // Transferred, or its bytes discarded by a hash mismatch: either way the split is over.
    if (file.transferred || file.bytesTransferred === 0) file.segments = undefined;
  }
  return 'done';
}

/** Forgets the split: the bytes go first, so a crash in between leaves a split that no longer matches (and is dropped). */
async function dropSegments(host: TransferHost, keepValidators: boolean): Promise<void> {
  const file = host.file;
  await discard(file);
  file.segments = undefined;
  file.bytesTransferred = 0;
  if (!keepValidators) {
    file.etag = undefined;
    file.lastModified = undefined;
    file.lastModifiedStrong = undefined;
    file.bytesTotal = null;
  }
  await host.saveNow();
}

/** Removes the temp file (a restart): the next write from byte 0 creates it anew. */
function discard(file: FileRecord): Promise<0> {
  return local(file.tempPath, () => discardTemp(file));
}

/** Streams the body into the temp file from `offset`; returns the bytes written. */
async function receive(
  host: TransferHost,
  body: ResponseBody,
  offset: number,
  hash: Hash | undefined,
  where: string,
  // Otherwise the file opens while the first bytes arrive (never before them: waiting for the open first added
  // a file-system round trip to every file of a job of many small files).
  opened: OpeningTemp = openTemp(host.file, offset),
  limit?: number,
): Promise<number> {
  const temp = host.file.tempPath;
  const { opening, failure: openFailure } = opened;
  let written = 0;
  let received = 0;
  try {
    await withWatchdog(host, (signal, watchdog) =>
      receiveBody(body, opening, offset, {
        hash,
        limiter: host.limiter,
        limit,
        batchBytes: WRITE_BATCH_BYTES,
        signal,
        onWritten: (bytes) => {
          written += bytes;
          host.file.bytesTransferred = offset + written;
          watchdog.kick();
          host.onBytes(bytes);
        },
        onReceived: (bytes) => (received += bytes),
        onEnded: () => {
          // The file's last bytes (a part of it, from a server that caps ranges, is not the end).
          const total = host.file.bytesTotal;
          if (total === null || offset + received >= total) host.onBodyReceived?.();
        },
      }),
    );
    // An empty body writes nothing, and its temp file must still be made.
    await opening;
  } catch (err) {
    // receiveBody settles only once its last write is counted: the next attempt starts at bytesTransferred.
    if (host.signal.aborted) throw new TransferStopped();
    const notOpened = await openFailure;
    if (notOpened !== undefined) throw notOpened;
    if (err instanceof LocalWriteFailure) throw localFileError(err.error, temp);
    if (err instanceof BodyOverrun) throw overrunError(where, offset, offset + err.limit);
    throw translate(host, err, where);
  } finally {
    opened.release();
  }
  return written;
}

/** A temp file being opened for writing. */
interface OpeningTemp {
  opening: Promise<fs.FileHandle>;
  /** Settles with the open's error, or undefined once open: waiting on it never throws. */
  failure: Promise<unknown>;
  /** Closes it once open (nothing to do if the open failed), without waiting. */
  release(): void;
  /** An answer with no body for it: closes it and removes the empty file the early open made. */
  discard(): Promise<void>;
}

function openTemp(file: FileRecord, offset: number): OpeningTemp {
  const temp = file.tempPath;
  // From byte 0 the file is made anew; to continue, only the very file the job made is opened.
  const opening = local(temp, () => (offset === 0 ? createTemp(file) : openOwnTemp(file)));
  const failure = opening.then(
    () => undefined,
    (err: unknown) => err,
  );
  // The close need not hold up the next file, but is tracked from now on, even before the open is done:
  // runJobFiles waits for every tracked close before it ends.
  const release = () => track(opening.then((handle) => handle.close()).catch(() => undefined));
  const discard = async () => {
    if ((await failure) !== undefined) return;
    await (await opening).close().catch(() => undefined);
    await discardTemp(file).catch(() => undefined);
  };
  return { opening, failure, release, discard };
}

const closing = new Set<Promise<void>>();

function track(close: Promise<void>): void {
  closing.add(close);
  void close.finally(() => closing.delete(close));
}

/** Settles once every temp file handle a transfer let go of is closed (Complete and Cancel rename and delete them). */
export async function closesSettled(): Promise<void> {
  while (closing.size > 0) await Promise.all(closing);
}

/** The file is whole: check its sha256 (when asked) and mark it transferred. */
async function finish(host: TransferHost, hash: Hash | undefined): Promise<void> {
  const file = host.file;
  if (file.sha256) {
    const actual = (hash ?? (await local(file.tempPath, () => hashPrefix(file.tempPath, file.bytesTransferred)))).digest('hex');
    if (actual !== file.sha256) {
      // The bytes are useless; drop them so a resume fetches the file again instead of re-checking the same bytes.
      await discard(file);
      file.bytesTransferred = 0;
      file.etag = undefined;
      file.lastModified = undefined;
      file.lastModifiedStrong = undefined;
      throw new BitsError(
        Codes.MD_E_HASH_MISMATCH,
        `The sha256 of ${displayUrl(file.remoteUrl)} is ${actual}, but the job expects ${file.sha256}. The downloaded bytes were discarded; check the expected digest or the server, then resume the job to download again.`,
        ErrorContext.REMOTE_FILE,
        { transient: false },
      );
    }
  }
  file.transferred = true;
}
