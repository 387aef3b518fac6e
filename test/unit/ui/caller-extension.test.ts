// How the public API tells which extension called it (src/ui/callerExtension.ts): the raw file of the calling
// frame, mapped to the extension whose folder holds it; frames it cannot place are refused, not guessed.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { callerFile, extensionOwning } from '../../../src/ui/callerExtension';

const root = path.resolve('/exts');
const installed = [
  { id: 'pub.foo', folder: path.join(root, 'pub.foo-1.0.0') },
  { id: 'pub.foobar', folder: path.join(root, 'pub.foo-1.0.0-bar') },
  { id: 'pub.nested', folder: path.join(root, 'pub.foo-1.0.0', 'inner') },
];

test('a file maps to the extension whose folder holds it, the innermost when folders nest', () => {
  assert.equal(extensionOwning(path.join(root, 'pub.foo-1.0.0', 'dist', 'extension.js'), installed), 'pub.foo');
  assert.equal(extensionOwning(path.join(root, 'pub.foo-1.0.0', 'inner', 'x.js'), installed), 'pub.nested');
});

test('a folder whose name only starts like another extension folder is not inside it', () => {
  assert.equal(extensionOwning(path.join(root, 'pub.foo-1.0.0-bar', 'x.js'), installed), 'pub.foobar');
  assert.equal(extensionOwning(path.join(root, 'pub.foo-1.0.0x', 'x.js'), installed), undefined);
  assert.equal(extensionOwning(path.join(root, 'pub.foo-1.0.0', '..', 'other', 'x.js'), installed), undefined);
});

test('the caller is the frame that called the API function, not the function itself', () => {
  function apiFunction(): string | undefined {
    return callerFile(apiFunction);
  }
  assert.equal(callerFile(apiFunction) === undefined, true, 'apiFunction is not on the stack here');
  assert.equal(apiFunction(), __filename);
});

test('a prepareStackTrace someone installed neither changes the answer nor is lost', () => {
  const theirs = (): string => 'forged';
  const previous = Error.prepareStackTrace;
  Error.prepareStackTrace = theirs;
  try {
    function apiFunction(): string | undefined {
      return callerFile(apiFunction);
    }
    assert.equal(apiFunction(), __filename);
    assert.equal(Error.prepareStackTrace, theirs);
  } finally {
    Error.prepareStackTrace = previous;
  }
});

test('a caller without a file (evaluated code) is not placed', () => {
  function apiFunction(): string | undefined {
    return callerFile(apiFunction);
  }
  const fromEval = new Function('f', 'return f();') as (f: () => string | undefined) => string | undefined;
  assert.equal(fromEval(apiFunction), undefined);
});
