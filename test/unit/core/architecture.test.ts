// src/core's folders import downward only and never in a circle (docs/architecture.md, "Layers"). eslint's
// no-restricted-imports checks the same order per folder, but reads import declarations only; this reads every
// import of every src/core file, `import()` expressions and `import('...')` types included.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';

/**
 * The order, bottom first, read from eslint/core-layers.mjs (the lint rules read the same file): a folder may
 * import its own row and earlier ones, never a later row.
 */
let coreLayers: readonly (readonly string[])[] = [];
before(async () => {
  const order: unknown = (await import(pathToFileURL(path.join(__dirname, '../../../eslint/core-layers.mjs')).href)).coreLayers;
  assert.ok(
    Array.isArray(order) && order.length > 0 && order.every((row) => Array.isArray(row) && row.every((f) => typeof f === 'string')),
    'eslint/core-layers.mjs exports coreLayers, rows of folder names',
  );
  coreLayers = order as string[][];
});
/** errors.ts, event.ts and lifecycle.ts sit beside the folders, below all of them. */
const ROOT_FILES_RANK = 0;

const core = path.join(__dirname, '../../../src/core');

interface Edge {
  from: string;
  to: string;
  /** Where the import is written, as `folder/file.ts:line`. */
  at: string;
}

/** Every module specifier `source` names, with its line: declarations, export-from, import() and import types. */
function specifiersOf(fileName: string, source: string): { specifier: string; line: number }[] {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: { specifier: string; line: number }[] = [];
  const add = (node: ts.Node | undefined) => {
    if (node && ts.isStringLiteralLike(node)) {
      found.push({ specifier: node.text, line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1 });
    }
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) add(node.moduleReference.expression);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node.arguments[0]);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** The part of src/core `absolute` belongs to: its folder, or the file's own name for errors.ts and its neighbours. */
function partOf(absolute: string): string | undefined {
  const relative = path.relative(core, absolute);
  if (relative.startsWith('..') || path.isAbsolute(relative)) return undefined;
  const [first, ...rest] = relative.split(path.sep);
  return rest.length > 0 ? first : `${first.replace(/\.(ts|js)$/, '')}.ts`;
}

function rank(part: string): number | undefined {
  if (part.endsWith('.ts')) return ROOT_FILES_RANK;
  const row = coreLayers.findIndex((folders) => folders.includes(part));
  return row < 0 ? undefined : row + 1;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Imports from one part of src/core to another (relative specifiers only: the core names no alias for itself). */
function coreEdges(): Edge[] {
  return sourceFiles(core).flatMap((file) => {
    const from = partOf(file)!;
    return specifiersOf(file, fs.readFileSync(file, 'utf8'))
      .filter(({ specifier }) => specifier.startsWith('.'))
      .flatMap(({ specifier, line }) => {
        const to = partOf(path.resolve(path.dirname(file), specifier));
        return to === undefined || to === from ? [] : [{ from, to, at: `${path.relative(core, file)}:${line}` }];
      });
  });
}

/** The edges that go up the order, or touch a part the order does not name. */
function againstOrder(edges: Edge[]): string[] {
  return edges
    .filter((e) => {
      const [from, to] = [rank(e.from), rank(e.to)];
      return from === undefined || to === undefined || to > from;
    })
    .map((e) => `${e.from} -> ${e.to} (${e.at})`);
}

/** A circle of parts importing each other, as `a -> b -> a`, or undefined when there is none. */
function findCycle(edges: Edge[]): string | undefined {
  const next = new Map<string, Set<string>>();
  for (const e of edges) next.set(e.from, (next.get(e.from) ?? new Set()).add(e.to));
  const done = new Set<string>();
  const walk = (part: string, trail: string[]): string | undefined => {
    const seenAt = trail.indexOf(part);
    if (seenAt >= 0) return [...trail.slice(seenAt), part].join(' -> ');
    if (done.has(part)) return undefined;
    for (const to of next.get(part) ?? []) {
      const cycle = walk(to, [...trail, part]);
      if (cycle) return cycle;
    }
    done.add(part);
    return undefined;
  };
  for (const part of next.keys()) {
    const cycle = walk(part, []);
    if (cycle) return cycle;
  }
  return undefined;
}

test('every import in src/core goes to its own folder or a lower one', () => {
  const edges = coreEdges();
  assert.ok(
    edges.some((e) => e.from === 'jobs' && e.to === 'model'),
    'the check found the imports (jobs uses the model)',
  );
  assert.deepEqual(againstOrder(edges), []);
});

test('no src/core folders import each other in a circle, directly or through others', () => {
  assert.equal(findCycle(coreEdges()), undefined);
});

test('every src/core folder has its place in the order', () => {
  const folders = fs
    .readdirSync(core, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name);
  assert.deepEqual(
    folders.filter((f) => rank(f) === undefined),
    [],
  );
});

test('the check reads declarations, export-from, import() and import types', () => {
  const source = [
    "import { a } from '../model/job';",
    "import type { B } from '../tls/service';",
    "export { c } from './c';",
    "const d = await import('../store/lease.js');",
    "let e: import('../event').Event<number>;",
    "import f = require('../util/url');",
  ].join('\n');
  assert.deepEqual(
    specifiersOf('x.ts', source).map((s) => s.specifier),
    ['../model/job', '../tls/service', './c', '../store/lease.js', '../event', '../util/url'],
  );
});

test('an import up the order, an unknown folder and a circle are each reported', () => {
  const edge = (from: string, to: string): Edge => ({ from, to, at: `${from}/x.ts:1` });
  assert.deepEqual(againstOrder([edge('jobs', 'model'), edge('model', 'util'), edge('util', 'model'), edge('transfer', 'errors.ts')]), []);
  assert.deepEqual(againstOrder([edge('model', 'jobs')]), ['model -> jobs (model/x.ts:1)']);
  assert.deepEqual(againstOrder([edge('errors.ts', 'util')]), ['errors.ts -> util (errors.ts/x.ts:1)']);
  assert.deepEqual(againstOrder([edge('jobs', 'newfolder')]), ['jobs -> newfolder (jobs/x.ts:1)']);
  assert.equal(findCycle([edge('jobs', 'transfer'), edge('transfer', 'model')]), undefined);
  assert.equal(findCycle([edge('model', 'util'), edge('util', 'model')]), 'model -> util -> model');
  assert.equal(
    findCycle([edge('jobs', 'store'), edge('store', 'transfer'), edge('transfer', 'jobs')]),
    'jobs -> store -> transfer -> jobs',
  );
});
