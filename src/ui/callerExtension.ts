// Which extension called a function of the public API. VS Code gives an exported API no caller identity, so
// the caller is read where VS Code itself reads it to blame an extension for an error: the file of the stack
// frame that called us, mapped to the installed extension whose folder holds it. Raw V8 call sites are used,
// not the `stack` text, so source maps (which rewrite paths) cannot move a frame into another extension.
// This binds honest callers and stops an extension from simply naming another's id; it is not a sandbox
// (see the threat model in src/api.ts). No vscode import: the extension list is passed in.
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface InstalledExtension {
  readonly id: string;
  /** Absolute folder of the extension. */
  readonly folder: string;
}

/**
 * The file of the frame that called `below` (which must be on the stack), or undefined when that frame has
 * no file (eval, native code): callers that cannot be placed are refused, not guessed.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- any function on the stack will do
export function callerFile(below: Function): string | undefined {
  const previousPrepare = Error.prepareStackTrace;
  const previousLimit = Error.stackTraceLimit;
  try {
    Error.stackTraceLimit = 1;
    Error.prepareStackTrace = (_error, sites) => sites.map((s) => s.getFileName());
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder, below);
    const files = holder.stack;
    const file = Array.isArray(files) ? (files[0] as unknown) : undefined;
    if (typeof file !== 'string' || !file || file.startsWith('node:')) return undefined;
    return file.startsWith('file:') ? fileURLToPath(file) : file;
  } catch {
    return undefined;
  } finally {
    Error.prepareStackTrace = previousPrepare;
    Error.stackTraceLimit = previousLimit;
  }
}

/** The extension whose folder holds `file` (the innermost one, should folders nest), or undefined. */
export function extensionOwning(file: string, extensions: readonly InstalledExtension[]): string | undefined {
  const target = path.resolve(file);
  let best: InstalledExtension | undefined;
  for (const ext of extensions) {
    const folder = path.resolve(ext.folder);
    const inside = target.startsWith(folder.endsWith(path.sep) ? folder : folder + path.sep);
    if (inside && (!best || folder.length > path.resolve(best.folder).length)) best = ext;
  }
  return best?.id;
}
