// package.json's user-visible strings are all localizable: each is a %key% that package.nls.json
// resolves, so a translation (package.nls.<lang>.json) covers the whole manifest and no literal slips in.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

const root = path.join(__dirname, '../..');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
const nls = JSON.parse(fs.readFileSync(path.join(root, 'package.nls.json'), 'utf8')) as Record<string, string>;

/** Manifest fields a person reads in VS Code or the Marketplace. */
const USER_VISIBLE = new Set([
  'displayName',
  'description',
  'markdownDescription',
  'title',
  'category',
  'name',
  'contextualTitle',
  'contents',
  'altText',
  'deprecationMessage',
  'markdownDeprecationMessage',
  'enumDescriptions',
  'markdownEnumDescriptions',
  'label',
  'tooltip',
]);

/** Every string under a user-visible field, with its JSON path. The package's own `name` is an id, not text. */
function visibleStrings(value: unknown, at: string[] = [], visible = false): { path: string; text: string }[] {
  if (typeof value === 'string') return visible ? [{ path: at.join('.'), text: value }] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => visibleStrings(v, [...at, String(i)], visible));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) =>
      visibleStrings(v, [...at, k], USER_VISIBLE.has(k) && !(at.length === 0 && k === 'name')),
    );
  }
  return [];
}

const PLACEHOLDER = /^%([\w.-]+)%$/;

test('every user-visible string in package.json is a %key%, not a literal', () => {
  const strings = visibleStrings(manifest);
  assert.ok(strings.length > 50, `only ${strings.length} user-visible strings found: is the walk right?`);
  const literals = strings.filter((s) => !PLACEHOLDER.test(s.text)).map((s) => `${s.path}: ${s.text.slice(0, 40)}`);
  assert.deepEqual(literals, [], 'put these in package.nls.json');
});

test('every %key% in package.json resolves in package.nls.json, and every key there is used', () => {
  const used = [...JSON.stringify(manifest).matchAll(/"%([\w.-]+)%"/g)].map((m) => m[1]);
  const unresolved = used.filter((k) => typeof nls[k] !== 'string' || !nls[k].trim());
  assert.deepEqual(unresolved, [], 'keys missing from package.nls.json');
  const unused = Object.keys(nls).filter((k) => !used.includes(k));
  assert.deepEqual(unused, [], 'keys in package.nls.json that package.json no longer uses');
});

test('the walkthrough and the welcome views keep their command links through localization', () => {
  const withLinks = Object.entries(nls).filter(([k]) => k.startsWith('viewsWelcome.') || /^walkthroughs\..*\.description$/.test(k));
  const links = withLinks.flatMap(([, text]) => [...text.matchAll(/\(command:([\w.-]+)/g)].map((m) => m[1]));
  assert.ok(links.includes('managedDownloads.newDownload'));
  assert.ok(links.includes('managedDownloads.createCertificateValidator'));
});
