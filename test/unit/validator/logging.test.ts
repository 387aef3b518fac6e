// What the extension's log (and the CLI's stderr) receives from a validator, through the controller the
// editor uses: its own log lines and console output, a throw with the .ts line where it happened, a
// time-out with the .ts line where it was stuck (or that it was waiting), and a pin set's expiry warning
// when the file loads.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeCA, makeLeaf } from '../../support/certs';
import { CertificateService } from '../../../src/core/tls/service';
import { GatedConnectionProvider } from '../../../src/core/net/connection-provider';
import { WorkspaceValidatorController, type LogLevel } from '../../../src/validator/workspace-validator';
import { fakeJob, get, startRecordingServer, type RecordingServer } from '../core/tls/helpers';
import { tempWorkspace } from './fixtures';

let server: RecordingServer;
let caPem: string;
const dir = tempWorkspace();

before(async () => {
  const ca = makeCA();
  caPem = ca.cert;
  const leaf = makeLeaf(ca, { hosts: ['127.0.0.1'] });
  server = await startRecordingServer(leaf.cert, leaf.key);
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function withController(
  source: string,
  run: (attempt: () => ReturnType<typeof get>, lines: string[]) => Promise<void>,
  timeLimitMs = 5000,
): Promise<void> {
  const lines: string[] = [];
  const service = new CertificateService({ trust: { includeDefaultRoots: false, extraCaPem: [caPem] }, validatorTimeLimitMs: timeLimitMs });
  const provider = new GatedConnectionProvider(service);
  const controller = new WorkspaceValidatorController(service, {
    watch: false,
    log: (level: LogLevel, message: string) => lines.push(`[${level}] ${message}`),
  });
  const file = join(dir, `validator-${Math.random().toString(36).slice(2)}.ts`);
  writeFileSync(file, source);
  try {
    assert.equal((await controller.configure({ file, trusted: true })).status, 'loaded', lines.join('\n'));
    const job = fakeJob({ validator: 'workspace' });
    await run(() => get(provider.agentFor(job, 'https:'), `https://127.0.0.1:${server.port}/`, job.id), lines);
  } finally {
    controller.dispose();
    provider.dispose();
    await service.dispose();
  }
}

test("a throw reaches the log with the .ts line where it happened, and the job's error says the same place", async () => {
  const source = `import { log, type ValidationInput } from 'managed-downloads/validator';

export default function validate(input: ValidationInput) {
  log.info('checking ' + input.endpoint.host);
  console.warn('about to fail for', input.certificate.subjectCommonName);
  throw new Error('refusing ' + input.endpoint.host);
}
`;
  await withController(source, async (attempt, lines) => {
    const answer = await attempt();
    assert.match(answer.error?.message ?? '', /the validator threw: refusing 127\.0\.0\.1 \(at .*validator-\w+\.ts:6:9\)/);
    const text = lines.join('\n');
    assert.match(text, /\[info\] validator validator-\w+\.ts: checking 127\.0\.0\.1/);
    assert.match(text, /\[warn\] validator validator-\w+\.ts: about to fail for 127\.0\.0\.1/);
    assert.match(
      text,
      new RegExp(
        `\\[error\\] validator validator-\\w+\\.ts: validate\\(\\) threw for 127\\.0\\.0\\.1:${server.port}: refusing 127\\.0\\.0\\.1 \\(at .*validator-\\w+\\.ts:6:9\\); the certificate is declined`,
      ),
    );
  });
});

test("a validator stuck in a loop: the log line and the job's error name the .ts file and the line of the loop", async () => {
  const source = `import type { ValidationInput } from 'managed-downloads/validator';

export default function validate(input: ValidationInput) {
  void input;
  while (true) {}
}
`;
  await withController(
    source,
    async (attempt, lines) => {
      const answer = await attempt();
      assert.match(
        answer.error?.message ?? '',
        /did not answer within 300 ms \(setting managedDownloads\.validatorTimeLimit\), stuck at .*validator-\w+\.ts:5:3; the validator process was stopped/,
      );
      assert.match(
        lines.join('\n'),
        /\[error\] validator validator-\w+\.ts: validate\(\) for 127\.0\.0\.1:\d+ did not answer within 300 ms \(stuck at .*validator-\w+\.ts:5:3\); the validator process was stopped/,
      );
    },
    300,
  );
});

test('a validator awaiting a promise that never settles is reported as waiting, with no line', async () => {
  await withController(
    'export default async function validate() {\n  await new Promise(() => undefined);\n}\n',
    async (attempt, lines) => {
      const answer = await attempt();
      const message = answer.error?.message ?? '';
      assert.match(
        message,
        /did not answer within 300 ms \(setting managedDownloads\.validatorTimeLimit\), waiting: the worker's thread was idle, so the call awaits a promise that never settles, in .*validator-\w+\.ts;/,
      );
      assert.doesNotMatch(message, /stuck at|\.ts:\d+/);
      const text = lines.join('\n');
      assert.match(
        text,
        /\[error\] validator validator-\w+\.ts: validate\(\) for 127\.0\.0\.1:\d+ did not answer within 300 ms \(waiting: the worker's thread was idle, so the call awaits a promise that never settles, in .*validator-\w+\.ts\)/,
      );
      assert.doesNotMatch(text, /stuck at/);
    },
    300,
  );
});

test("a pin set's expiry warning is logged when the validator loads", async () => {
  const soon = new Date(Date.now() + 5 * 24 * 3600 * 1000).toISOString().slice(0, 10);
  const source = `import { certificatePolicy, pinSet } from 'managed-downloads/validator';
export default certificatePolicy({ rules: [pinSet({ hosts: ['downloads.example.com'], pins: ['sha256/${Buffer.alloc(32, 1).toString('base64')}'], backupPins: ['sha256/${Buffer.alloc(32, 2).toString('base64')}'], expires: '${soon}' })] });
`;
  await withController(source, async (attempt, lines) => {
    assert.match(
      lines.join('\n'),
      new RegExp(`\\[warn\\] validator validator-\\w+\\.ts: pin set for downloads\\.example\\.com expires in [56] day\\(s\\), on ${soon}`),
    );
    assert.equal((await attempt()).status, 200, 'another host: not pinned');
  });
});
