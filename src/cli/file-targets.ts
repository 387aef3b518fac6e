// The files of `get` and `add`: URLs from the command line and from -i FILE (one a line, as curl, wget and aria2
// take them), each saved in --dest under its URL's name or -o NAME; everything checked before a job is touched.
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { BitsError, Codes, ErrorContext, fileSystemError } from '../core/errors';
import type { NewFileOptions } from '../core/model/job';
import { checkNewFile } from '../core/jobs/file-checks';
import type { FileArgs } from './args';
import { fileNamesFor } from './names';
import { readNamedFile } from './read-file';
import { UsageError } from './usage';

/** The URLs of an -i file: blank lines and # comments skipped; every bad line reported with its number, or none. */
export function urlsFromList(text: string, source: string): string[] {
  const urls: string[] = [];
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    try {
      // The engine's own check of a URL (scheme, credentials, length), so nothing it would refuse gets this far.
      checkNewFile({ remoteUrl: line, localPath: path.resolve('placeholder') });
      urls.push(line);
    } catch (err) {
      if (!(err instanceof BitsError)) throw err;
      problems.push(`  line ${i + 1}: ${err.message}`);
    }
  });
  if (problems.length > 0)
    throw new UsageError(
      `${source} has ${problems.length} bad line${problems.length === 1 ? '' : 's'}; nothing was started:\n${problems.join('\n')}`,
    );
  if (urls.length === 0) throw new UsageError(`${source} holds no URL (one a line; blank lines and lines starting with # are skipped).`);
  return urls;
}

/** The files to add, checked: names unique, -o inside --dest, one --sha256 per URL, nothing overwritten unless asked. */
export function fileTargets(args: FileArgs): NewFileOptions[] {
  const urls = [...args.urls];
  if (args.inputFile !== undefined)
    urls.push(
      ...urlsFromList(
        readNamedFile(args.inputFile, '-i'),
        args.inputFile === '-' ? 'The URL list on standard input' : `The URL list ${args.inputFile}`,
      ),
    );
  if (args.sha256.length > 0 && args.sha256.length !== urls.length) {
    throw new UsageError(`Give one --sha256 per URL, in the same order (${urls.length} URL(s), ${args.sha256.length} digest(s)).`);
  }
  const names = args.output !== undefined ? [outputName(args.output)] : fileNamesFor(urls);
  const targets = names.map((name) => path.resolve(args.dest, name));
  if (!args.overwrite) {
    const existing = targets.filter((t) => existsSync(t));
    if (existing.length > 0)
      throw new UsageError(
        `${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''}; pass --overwrite to replace, or choose another --dest${args.output !== undefined ? ' or -o NAME' : ''}.`,
      );
  }
  return urls.map((url, i) => ({ remoteUrl: url, localPath: targets[i], ...(args.sha256[i] ? { sha256: args.sha256[i] } : {}) }));
}

function outputName(name: string): string {
  if (name.trim() === '' || name.endsWith('/') || name.endsWith(path.sep))
    throw new UsageError(`-o needs a file name (got "${name}"); the folder is --dest.`);
  return name;
}

/** The folders the files go to, made when missing; a file there, or a folder that cannot be made, is a clear error. */
export async function prepareFolders(files: readonly NewFileOptions[], dest: string): Promise<void> {
  for (const folder of new Set(files.map((f) => path.dirname(f.localPath)))) {
    const option = folder === dest ? '--dest' : '-o';
    const existing = await fs.stat(folder).catch(() => undefined);
    if (existing && !existing.isDirectory()) {
      throw new BitsError(
        Codes.E_INVALIDARG,
        `${option} ${folder} is a file, not a folder. --dest names the folder to download into: give a folder (it is made if missing), or move that file away.`,
        ErrorContext.LOCAL_FILE,
      );
    }
    try {
      await fs.mkdir(folder, { recursive: true });
    } catch (err) {
      throw fileSystemError(err, `Creating the ${option} folder ${folder}`, ErrorContext.LOCAL_FILE, {
        denied: `Choose a ${option} folder you can write to.`,
        full: `Free some space on that disk, or choose a ${option} folder on another disk.`,
        other: `Choose another ${option} folder, or move the file that is in the way.`,
      });
    }
  }
}
