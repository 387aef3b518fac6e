// The checks of a new file that depend on the transfer's own layout (the temp file's name beside the destination):
// they live here, above transfer/, so that model/validation.ts stays free of it.
import * as path from 'node:path';
import { BitsError, Codes, ErrorContext } from '../errors';
import type { NewFileOptions } from '../model/job';
import { checkSha256, invalid } from '../model/validation';
import { tempPathFor } from '../transfer/temp-file';
import { maxPathBytes, nameProblem } from '../util/file-name';
import { displayUrl } from '../util/url';

const general = ErrorContext.GENERAL_QUEUE_MANAGER;

/** Far above any real download URL (BITS itself stops at 2,200); stops a hostile caller from bloating the store. */
const MAX_URL_LENGTH = 8192;

export interface CheckedFile {
  url: URL;
  localPath: string;
  sha256?: string;
}

/** URL scheme, absolute path and hash format; the engine checks the file system and duplicates itself. */
export function checkNewFile(file: NewFileOptions): CheckedFile {
  if (!file || typeof file.remoteUrl !== 'string' || typeof file.localPath !== 'string') {
    throw invalid('A file needs a remoteUrl and a localPath, both strings.');
  }
  if (file.remoteUrl.length > MAX_URL_LENGTH) {
    throw new BitsError(
      Codes.BG_E_STRING_TOO_LONG,
      `The URL is ${file.remoteUrl.length} characters long; at most ${MAX_URL_LENGTH} are allowed.`,
      general,
    );
  }
  let url: URL;
  try {
    url = new URL(file.remoteUrl);
  } catch {
    throw invalid(`"${displayUrl(file.remoteUrl)}" is not a valid URL.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new BitsError(
      Codes.BG_E_PROTOCOL_NOT_AVAILABLE,
      `Cannot download ${url.protocol} URLs: only http and https are supported.`,
      ErrorContext.REMOTE_FILE,
    );
  }
  if (url.username || url.password) {
    // Stored with the job they would sit in plain text in the store; the message never repeats them.
    throw invalid(
      `The URL ${displayUrl(url)} carries a user name or password. Credentials in URLs are refused because the job store would keep them; remove them from the URL and give the credentials as a write-only header (e.g. Authorization), which is kept in the secret store.`,
    );
  }
  if (!path.isAbsolute(file.localPath)) {
    throw invalid(`The local path "${file.localPath}" is not absolute; give the full path of the file to create.`);
  }
  const localPath = path.resolve(file.localPath);
  if (localPath === path.parse(localPath).root) throw invalid(`The local path "${file.localPath}" names a root folder, not a file.`);
  checkPathFits(localPath);
  const sha256 = file.sha256 === undefined ? undefined : checkSha256(file.sha256);
  return { url, localPath, sha256 };
}

/**
 * Every name along `localPath`, and the temp file's longer name beside it, fit the file system: refused when the
 * file is added, not after a whole download fails at Complete (ENAMETOOLONG).
 */
export function checkPathFits(localPath: string, platform: NodeJS.Platform = process.platform): void {
  const root = path.parse(localPath).root;
  const temp = tempPathFor(localPath, LONGEST_JOB_ID, LONGEST_FILE_INDEX);
  for (const name of [...localPath.slice(root.length).split(path.sep).filter(Boolean), path.basename(temp)]) {
    const problem = nameProblem(name, platform);
    if (problem) {
      const what =
        name === path.basename(temp) ? `The temp file name "${name}" (beside ${localPath})` : `The name "${name}" in ${localPath}`;
      throw new BitsError(
        problem.kind === 'too-long' ? Codes.E_FILENAME_TOO_LONG : Codes.E_INVALID_NAME,
        `${what} cannot be created: ${problem.reason}. Choose ${problem.kind === 'too-long' ? 'a shorter name' : 'another name'}.`,
        ErrorContext.LOCAL_FILE,
      );
    }
  }
  const limit = maxPathBytes(platform);
  const bytes = Buffer.byteLength(temp);
  if (limit !== undefined && bytes > limit) {
    throw new BitsError(
      Codes.E_FILENAME_TOO_LONG,
      `The path ${localPath} is too long: its temp file's path is ${bytes} bytes, and the file system takes at most ${limit}. Choose a shorter folder or name.`,
      ErrorContext.LOCAL_FILE,
    );
  }
}

/** The longest temp name a file can get: any job id gives 8 characters; the index is far above any job's file count. */
const LONGEST_JOB_ID = 'ffffffff';
const LONGEST_FILE_INDEX = 9_999_999;
