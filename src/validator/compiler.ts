// Compiles the workspace validator (TypeScript, with its relative imports) into one CommonJS script with
// esbuild, found in node_modules at run time. `managed-downloads/validator` stays an import: the worker
// supplies it, so a validator needs nothing installed.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, resolve } from 'node:path';
import type * as Esbuild from 'esbuild';

import { HELPER_MODULE } from './compiler-constants';
export { HELPER_MODULE };

export interface CompiledValidator {
  /** Absolute path of the validator file. */
  file: string;
  /** CommonJS code with an inline source map. */
  code: string;
  /** Absolute paths of every file the bundle read (the validator and what it imports): what to watch. */
  inputs: string[];
  /** sha256 over the inputs' contents: unchanged inputs mean an unchanged validator. */
  fingerprint: string;
}

export interface CompileDiagnostic {
  file?: string;
  /** 1-based. */
  line?: number;
  /** 1-based. */
  column?: number;
  /** Characters the problem spans on its line (0 or absent: a point). */
  length?: number;
  text: string;
}

export class ValidatorCompileError extends Error {
  override name = 'ValidatorCompileError';
  constructor(
    readonly file: string,
    readonly diagnostics: CompileDiagnostic[],
    /** Files to watch so that a fix is noticed. */
    readonly inputs: string[],
    readonly missing = false,
  ) {
    super(missing ? `${file} does not exist` : diagnostics.map(formatDiagnostic).join('; '));
  }
}

export function formatDiagnostic(d: CompileDiagnostic): string {
  const where = d.file ? `${d.file}${d.line ? `:${d.line}${d.column ? `:${d.column}` : ''}` : ''}: ` : '';
  return `${where}${d.text}`;
}

/** `import CORP_CA from './corp-ca.pem'` gives the PEM text; `.der` and `.cer` give the bytes. */
export const CERTIFICATE_LOADERS: Record<string, Esbuild.Loader> = { '.pem': 'text', '.crt': 'text', '.der': 'binary', '.cer': 'binary' };

let esbuildModule: Promise<typeof Esbuild> | undefined;

/**
 * esbuild carries a native binary, so it is not bundled: it is required (CommonJS resolution, from the
 * bundle's folder upwards) from the node_modules beside the bundle.
 */
export function loadEsbuild(): Promise<typeof Esbuild> {
  esbuildModule ??= (async () => {
    try {
      return createRequire(__filename)('esbuild') as typeof Esbuild;
    } catch (e) {
      esbuildModule = undefined;
      throw new Error(
        `esbuild could not be loaded (${(e as Error).message.split('\n')[0]}); it ships with the extension in node_modules/esbuild. Reinstall the extension (or run npm install for the CLI).`,
      );
    }
  })();
  return esbuildModule;
}

export function fingerprintOf(files: readonly string[]): string {
  const hash = createHash('sha256');
  for (const f of [...files].sort()) {
    hash.update(f + '\0');
    try {
      hash.update(readFileSync(f));
    } catch {
      hash.update('<missing>');
    }
  }
  return hash.digest('hex');
}

export async function compileValidator(fileName: string): Promise<CompiledValidator> {
  const file = resolve(fileName);
  if (!existsSync(file)) throw new ValidatorCompileError(file, [{ file, text: 'the file does not exist' }], [file], true);
  const esbuild = await loadEsbuild();
  const workDir = dirname(file);
  let result: Esbuild.BuildResult<{ write: false; metafile: true }>;
  try {
    result = await esbuild.build({
      entryPoints: [file],
      absWorkingDir: workDir,
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      sourcemap: 'inline',
      sourcesContent: false,
      external: [HELPER_MODULE],
      // Certificates kept in files beside the validator are imported as text (PEM) or bytes (DER), and are
      // then watched like any import: replacing a CA file reloads the validator.
      loader: CERTIFICATE_LOADERS,
      logLevel: 'silent',
    });
  } catch (e) {
    const failure = e as Partial<Esbuild.BuildFailure>;
    const diagnostics: CompileDiagnostic[] = (
      failure.errors ?? [{ text: (e as Error).message, location: null } as unknown as Esbuild.Message]
    ).map((m) => ({
      file: m.location?.file ? resolve(workDir, m.location.file) : undefined,
      line: m.location?.line,
      column: m.location ? m.location.column + 1 : undefined,
      length: m.location?.length,
      text: m.text,
    }));
    const inputs = [file, ...diagnostics.map((d) => d.file).filter((f): f is string => !!f && isAbsolute(f))];
    throw new ValidatorCompileError(file, diagnostics, [...new Set(inputs)]);
  }
  const inputs = Object.keys(result.metafile.inputs).map((p) => resolve(workDir, p));
  return { file, code: result.outputFiles[0].text, inputs, fingerprint: fingerprintOf(inputs) };
}

/**
 * Where a load error happened, from the `(at FILE:LINE:COL)` the worker appends (the first stack frame
 * in the validator's files, source-mapped): a throw at the top level, such as a pin set without a backup
 * pin, is shown at the line that made it.
 */
export function loadErrorDiagnostic(file: string, message: string): CompileDiagnostic {
  const at = /\(at (.+):(\d+):(\d+)\)\s*$/.exec(message);
  if (!at) return { file, text: message };
  return { file: resolve(at[1]), line: Number(at[2]), column: Number(at[3]), text: message.slice(0, at.index).trimEnd() };
}
