// The Job Options form without VS Code: what it shows of a job, how it checks what the page sends (each wrong
// field named, nothing applied), what it plans to apply (only what changed; write-only values never in the
// job), and the page itself (strict CSP, every control labelled, the job's text escaped).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JobPriority, JobState, SecurityFlags, type JobRecord } from '../../../../src/core/model/job';
import { checkValues, parseMessage, planIsEmpty, valuesOf, type FormValues, type SavePlan } from '../../../../src/ui/jobOptions/form';
import { formHtml, jobViewOf } from '../../../../src/ui/jobOptions/html';

const t = (message: string, ...args: (string | number | boolean)[]) =>
  message.replace(/\{(\d+)\}/g, (_, i: string) => String(args[Number(i)]));
const digest = 'a'.repeat(64);

function job(overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    id: 'job-1',
    displayName: 'Toolchain',
    description: 'nightly',
    priority: JobPriority.NORMAL,
    owner: 'workspace',
    state: JobState.SUSPENDED,
    files: [
      { remoteUrl: 'https://h/a', localPath: '/d/a', tempPath: '/d/.a.tmp', bytesTotal: null, bytesTransferred: 0, transferred: false },
      {
        remoteUrl: 'https://h/b',
        localPath: '/d/b',
        tempPath: '/d/.b.tmp',
        bytesTotal: 5,
        bytesTransferred: 5,
        transferred: true,
        sha256: digest,
      },
    ],
    times: { created: '2026-01-01T00:00:00Z', modified: '2026-01-01T00:00:00Z' },
    minimumRetryDelay: 600,
    noProgressTimeout: 1_209_600,
    securityFlags: 0,
    customHeaders: { 'X-Plain': 'p' },
    writeOnlyHeaderNames: ['Authorization'],
    validator: 'none',
    ...overrides,
  };
}

function plan(values: FormValues, of = job()): SavePlan {
  const checked = checkValues(values, of, t);
  assert.ok(checked.ok, `expected a plan, got ${JSON.stringify(!checked.ok && checked.errors)}`);
  return checked.plan;
}

function errors(values: FormValues, of = job()): Record<string, string> {
  const checked = checkValues(values, of, t);
  assert.ok(!checked.ok, 'expected the values to be refused');
  return checked.errors;
}

test('the job as the form shows it saves as no change at all', () => {
  const values = valuesOf(job());
  assert.equal(values.priority, 'NORMAL');
  assert.deepEqual(values.checksums, ['', digest]);
  assert.deepEqual(values.headers, [
    { name: 'X-Plain', value: 'p', writeOnly: false },
    { name: 'Authorization', value: '', writeOnly: true, storedName: 'Authorization' },
  ]);
  assert.ok(planIsEmpty(plan(values)));
});

test('ticking BG_SSL_IGNORE_UNKNOWN_CA and adding a header plans exactly those changes', () => {
  const values = valuesOf(job());
  values.sslFlags = ['BG_SSL_IGNORE_UNKNOWN_CA'];
  values.headers.push({ name: 'X-Token', value: 'abc', writeOnly: false });
  const p = plan(values);
  assert.deepEqual(p.patch, { securityFlags: SecurityFlags.IGNORE_UNKNOWN_CA, customHeaders: { 'X-Plain': 'p', 'X-Token': 'abc' } });
  assert.deepEqual(p.secretValues, {});
  assert.deepEqual(p.secretRemovals, []);
});

test('redirect policy, https-to-http, timers, priority, name, description and a checksum map to their BITS values', () => {
  const values: FormValues = {
    ...valuesOf(job()),
    displayName: '  SDK  ',
    description: 'for CI',
    priority: 'FOREGROUND',
    redirectPolicy: 'DISALLOW',
    allowHttpsToHttp: true,
    sslFlags: ['BG_SSL_ENABLE_CRL_CHECK', 'BG_SSL_IGNORE_CERT_WRONG_USAGE'],
    minimumRetryDelay: ' 30 ',
    noProgressTimeout: '0',
    checksums: [digest.toUpperCase(), digest],
  };
  const p = plan(values);
  assert.deepEqual(p.patch, {
    displayName: 'SDK',
    description: 'for CI',
    minimumRetryDelay: 30,
    noProgressTimeout: 0,
    securityFlags: 0x200 | 0x800 | 0x1 | 0x10,
    fileSha256: [{ fileIndex: 0, sha256: digest }],
  });
  assert.equal(p.priority, JobPriority.FOREGROUND);
});

test('every wrong field gets its own message and nothing is planned', () => {
  const values: FormValues = {
    ...valuesOf(job()),
    displayName: '   ',
    minimumRetryDelay: '-5',
    noProgressTimeout: '1.5',
    checksums: ['abc', ''],
    headers: [
      { name: 'Range', value: 'bytes=0-', writeOnly: false },
      { name: 'X-Bad', value: 'a\r\nInjected: 1', writeOnly: false },
      { name: 'x-bad', value: 'again', writeOnly: false },
      { name: 'X-Empty', value: '', writeOnly: false },
      { name: '', value: 'orphan', writeOnly: false },
      { name: '', value: '', writeOnly: false },
    ],
  };
  const e = errors(values);
  assert.deepEqual(
    Object.keys(e).sort(),
    [
      'checksum-0',
      'checksum-1',
      'displayName',
      'header-0',
      'header-1',
      'header-2',
      'header-3',
      'header-4',
      'minimumRetryDelay',
      'noProgressTimeout',
    ].sort(),
  );
  assert.match(e.displayName, /name/);
  assert.match(e.minimumRetryDelay, /whole number of seconds/);
  assert.match(e['checksum-0'], /64 hexadecimal/);
  assert.match(e['checksum-1'], /already transferred/, 'clearing the checksum of a transferred file is a change too');
  assert.match(e['header-0'], /managed by the download engine/);
  assert.match(e['header-1'], /line breaks/);
  assert.match(e['header-2'], /twice/);
  assert.match(e['header-3'], /value of X-Empty/);
  assert.match(e['header-4'], /header name/);
});

test('write-only headers: a kept one stays untouched, a new value is stored, a removed one leaves the secret store', () => {
  const kept = plan(valuesOf(job()));
  assert.deepEqual([kept.secretValues, kept.secretRemovals], [{}, []]);

  const replaced = valuesOf(job());
  replaced.headers[1].value = 'Bearer new';
  const p1 = plan(replaced);
  assert.deepEqual(p1.secretValues, { Authorization: 'Bearer new' });
  assert.deepEqual(p1.secretRemovals, []);
  assert.equal(p1.patch.customHeaders, undefined, 'a write-only value never goes into the job');

  const removed = valuesOf(job());
  removed.headers.splice(1, 1);
  const p2 = plan(removed);
  assert.deepEqual(p2.secretRemovals, ['Authorization']);
  assert.deepEqual(p2.patch, { writeOnlyHeaderNames: [] });

  const madeSecret = valuesOf(job());
  madeSecret.headers[0].writeOnly = true;
  const p3 = plan(madeSecret);
  assert.deepEqual(p3.secretValues, { 'X-Plain': 'p' });
  assert.deepEqual(p3.patch, { customHeaders: {}, writeOnlyHeaderNames: ['X-Plain', 'Authorization'] });
});

test('a stored write-only header cannot be renamed or made plain without typing its value again', () => {
  const renamed = valuesOf(job());
  renamed.headers[1].name = 'X-Auth';
  assert.match(errors(renamed)['header-1'], /Type the value again/);
  const madePlain = valuesOf(job());
  madePlain.headers[1].writeOnly = false;
  assert.match(errors(madePlain)['header-1'], /Type the value again/);
  madePlain.headers[1].value = 'visible';
  const p = plan(madePlain);
  assert.deepEqual(p.patch.customHeaders, { 'X-Plain': 'p', Authorization: 'visible' });
  assert.deepEqual(p.secretRemovals, ['Authorization']);
});

test('a finished job refuses every change with one message for the whole form', () => {
  for (const state of [JobState.ACKNOWLEDGED, JobState.CANCELLED]) {
    const e = errors(valuesOf(job({ state })), job({ state }));
    assert.deepEqual(Object.keys(e), ['form']);
    assert.match(e.form, /can no longer change/);
  }
  // A transferred (not yet completed) job still takes changes, as BITS's Set* verbs do.
  const values = valuesOf(job({ state: JobState.TRANSFERRED }));
  values.description = 'changed';
  assert.deepEqual(plan(values, job({ state: JobState.TRANSFERRED })).patch, { description: 'changed' });
});

test('messages from the page are checked: junk is dropped, unknown flags and types are ignored', () => {
  assert.equal(parseMessage(null), undefined);
  assert.equal(parseMessage('save'), undefined);
  assert.equal(parseMessage({ type: 'delete-everything' }), undefined);
  assert.equal(parseMessage({ type: 'save', values: 'x' }), undefined);
  assert.deepEqual(parseMessage({ type: 'cancel', extra: 1 }), { type: 'cancel' });
  const m = parseMessage({
    type: 'save',
    values: {
      displayName: 7,
      priority: 'URGENT',
      sslFlags: ['BG_SSL_IGNORE_UNKNOWN_CA', 'EVIL', 3],
      redirectPolicy: 'nope',
      allowHttpsToHttp: 'yes',
      headers: [{ name: 'A', value: 'b', writeOnly: 1 }, 'x'],
    },
  });
  assert.ok(m && m.type === 'save');
  assert.equal(m.values.displayName, '');
  assert.equal(m.values.priority, 'NORMAL');
  assert.deepEqual(m.values.sslFlags, ['BG_SSL_IGNORE_UNKNOWN_CA']);
  assert.equal(m.values.redirectPolicy, 'ALLOW_SILENT');
  assert.equal(m.values.allowHttpsToHttp, false);
  assert.deepEqual(m.values.headers, [{ name: 'A', value: 'b', writeOnly: false }]);
  assert.equal(m.start, false, 'only Save and Start starts the job');
  const started = parseMessage({ type: 'save', start: true, values: {} });
  assert.ok(started && started.type === 'save' && started.start === true);
  const truthy = parseMessage({ type: 'save', start: 'yes', values: {} });
  assert.ok(truthy && truthy.type === 'save' && truthy.start === false, 'start is true or nothing');
});

test('Save and Start is offered for a SUSPENDED job with files (a New Download whose options come first), else hidden', () => {
  const button = (html: string) => /<button type="button" id="save-start"[^>]*>/.exec(html)?.[0] ?? '';
  const page = (of: JobRecord) => formHtml({ job: of, values: valuesOf(of), nonce: 'N', cspSource: 'c', t });
  const waiting = page(job());
  assert.ok(button(waiting), 'the button is on the page');
  assert.doesNotMatch(button(waiting), /hidden/);
  assert.match(waiting, />Save and Start<\/button>/);
  assert.match(waiting, /<button type="submit" id="save" class="secondary">/, 'Save steps back beside it; Enter still saves');
  assert.match(button(page(job({ files: [] }))), /hidden/, 'no files: nothing to start');
  assert.match(button(page(job({ state: JobState.TRANSFERRING }))), /hidden/, 'already running');
  assert.match(button(page(job({ state: JobState.ERROR }))), /hidden/, 'a failed job is retried, not started');
  assert.deepEqual([jobViewOf(job()).startable, jobViewOf(job({ state: JobState.QUEUED })).startable], [true, false]);
});

test('the page: a nonce-only CSP, a label for every control, the BITS names, the job text escaped', () => {
  const hostile = job({ displayName: '<img src=x onerror=alert(1)>', description: '</script><script>alert(2)</script>' });
  const html = formHtml({ job: hostile, values: valuesOf(hostile), nonce: 'N0NCE', cspSource: 'vscode-resource:', t });
  const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? '';
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'nonce-N0NCE'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  // Every executable script carries the nonce; the others are JSON data blocks.
  for (const tag of html.match(/<script[^>]*>/g) ?? [])
    assert.ok(tag.includes('nonce="N0NCE"') || tag.includes('type="application/json"'), tag);
  assert.doesNotMatch(html, /<img src=x/);
  assert.doesNotMatch(html, /<\/script><script>alert/);
  assert.doesNotMatch(html, / on[a-z]+="/, 'no inline event handlers (the CSP would block them)');

  const labelled = new Set([...html.matchAll(/<label for="([^"]+)"/g)].map((m) => m[1]));
  const controls = [...html.matchAll(/<(input|select|textarea)\b[^>]*>/g)].map((m) => m[0]);
  assert.ok(controls.length > 15, `found only ${controls.length} controls`);
  for (const control of controls) {
    const id = /\bid="([^"]+)"/.exec(control)?.[1];
    assert.ok(control.includes('aria-label="') || (id && labelled.has(id)), `no label for ${control}`);
  }
  for (const name of [
    'BG_SSL_ENABLE_CRL_CHECK',
    'BG_SSL_IGNORE_CERT_CN_INVALID',
    'BG_SSL_IGNORE_CERT_DATE_INVALID',
    'BG_SSL_IGNORE_UNKNOWN_CA',
    'BG_SSL_IGNORE_CERT_WRONG_USAGE',
    'BG_HTTP_REDIRECT_POLICY_DISALLOW',
  ]) {
    assert.ok(html.includes(`<code>${name}</code>`), name);
  }
  // The transferred file's checksum is shown but locked.
  assert.match(html, /<input type="text" id="checksum-1"[^>]*disabled>/);
});
