// Type-checks validator files the way the editor does: with the TypeScript compiler (the project's own
// devDependency), strict, no @types, and only what the files reference themselves, so the declarations
// written beside a validator are proven to be all it needs.
import ts from 'typescript';

export interface TypeProblem {
  file: string;
  /** 1-based. */
  line: number;
  message: string;
  code: number;
}

export function typecheck(files: readonly string[], options: { noUnusedLocals?: boolean } = {}): TypeProblem[] {
  const program = ts.createProgram({
    rootNames: [...files],
    options: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      strict: true,
      noEmit: true,
      lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
      types: [],
      noUnusedLocals: options.noUnusedLocals ?? true,
      noUnusedParameters: options.noUnusedLocals ?? true,
    },
  });
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const pos = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
    return {
      file: d.file?.fileName ?? '',
      line: pos ? pos.line + 1 : 0,
      message: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
      code: d.code,
    };
  });
}

export function describeProblems(problems: readonly TypeProblem[]): string {
  return problems.map((p) => `${p.file}:${p.line}: TS${p.code} ${p.message}`).join('\n');
}
