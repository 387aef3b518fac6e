// The settings' defaults and ranges live in src/ui/settingDefaults.ts; package.json's contributes.configuration is
// what the Settings editor shows. They must say the same, or a person reads one default and gets another.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { SettingDefaults, SettingKeys } from '../../../src/ui/settingDefaults';

const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../package.json'), 'utf8')) as {
  contributes: { configuration: { properties: Record<string, { default?: unknown; minimum?: number; maximum?: number }> } };
};
const properties = manifest.contributes.configuration.properties;
const ours = Object.keys(properties).filter((k) => k.startsWith('managedDownloads.') && 'default' in properties[k]);

test('every setting of the manifest has its default in settingDefaults.ts, and no other', () => {
  assert.deepEqual(ours.map((k) => k.slice('managedDownloads.'.length)).sort(), Object.values(SettingKeys).sort());
});

test("each setting's default, minimum and maximum are the manifest's", () => {
  for (const key of Object.values(SettingKeys)) {
    const declared = properties[`managedDownloads.${key}`];
    const spec = SettingDefaults[key];
    if (typeof spec === 'object' && spec !== null && 'default' in spec) {
      assert.equal(spec.default, declared.default, `${key}: default`);
      assert.equal(spec.minimum, declared.minimum, `${key}: minimum`);
      // A maximum the manifest leaves out may still guard the code (segmentMinSize, against overflow).
      if (declared.maximum !== undefined) assert.equal('maximum' in spec ? spec.maximum : undefined, declared.maximum, `${key}: maximum`);
    } else {
      assert.deepEqual(spec, declared.default, `${key}: default`);
    }
  }
});
