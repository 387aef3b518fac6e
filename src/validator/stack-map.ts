// Stack traces of a validator in terms of its own .ts files. Node applies source maps to CommonJS modules
// and ES modules it loads, not to code run through `vm`, which is how the worker runs the compiled
// validator; so the worker maps its frames itself with the inline source map esbuild wrote, and a throw
// is reported at the line of the .ts file where it happened.
import { SourceMap } from 'node:module';
import { dirname, resolve } from 'node:path';

const INLINE_MAP = /\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/;

export interface StackMapper {
  /** Absolute paths of the validator's own source files (the validator and what it imports). */
  readonly sources: ReadonlySet<string>;
  /** `file:line:column` of a generated position (1-based) in the original sources, if known. */
  map(line: number, column: number): string | undefined;
}

/**
 * Reads the inline source map of the compiled `code` of `file`. `firstLineOffset`: characters put before
 * the code on its first line (the worker's function wrapper).
 */
export function stackMapperFor(file: string, code: string, firstLineOffset: number): StackMapper | undefined {
  const inline = INLINE_MAP.exec(code);
  if (!inline) return undefined;
  let map: SourceMap;
  let sources: string[];
  try {
    const payload = JSON.parse(Buffer.from(inline[1], 'base64').toString('utf8')) as { sources: string[]; sourceRoot?: string };
    map = new SourceMap(payload as ConstructorParameters<typeof SourceMap>[0]);
    sources = payload.sources.map((s) => resolve(dirname(file), payload.sourceRoot ?? '', s));
  } catch {
    return undefined;
  }
  const dir = dirname(file);
  return {
    sources: new Set(sources),
    map(line, column) {
      const col = line === 1 ? column - firstLineOffset : column;
      const entry = map.findEntry(line - 1, Math.max(0, col - 1)) as
        { originalSource?: string; originalLine?: number; originalColumn?: number } | undefined;
      if (!entry?.originalSource || entry.originalLine === undefined || entry.originalColumn === undefined) return undefined;
      return `${resolve(dir, entry.originalSource)}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
    },
  };
}

/**
 * Makes every stack trace in this thread name the validator's .ts positions: frames in `file` (the
 * compiled bundle, as vm knows it) are rewritten; others are left as they are.
 */
export function installStackMapping(file: string, mapper: StackMapper): void {
  Error.prepareStackTrace = (error: Error, frames: NodeJS.CallSite[]) => {
    const lines = frames.map((frame) => {
      const line = frame.getLineNumber();
      const column = frame.getColumnNumber();
      const where = frame.getFileName() === file && line !== null && column !== null ? mapper.map(line, column) : undefined;
      if (!where) return `    at ${frame.toString()}`;
      const fn = frame.getFunctionName();
      return fn ? `    at ${fn} (${where})` : `    at ${where}`;
    });
    return [Error.prototype.toString.call(error), ...lines].join('\n');
  };
}
