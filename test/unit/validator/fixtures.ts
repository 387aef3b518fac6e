// A workspace with a validator file for tests: the gate, a provider, the controller, and a TLS server.
import { after, before } from 'node:test';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CertificateService, type WorkspaceValidatorState } from '../../../src/core/tls/service';
import { GatedConnectionProvider } from '../../../src/core/net/connection-provider';
import { WorkspaceValidatorController } from '../../../src/validator/workspace-validator';
import { sandbox, type Sandbox } from '../../support/engine';
import { startTlsServer, type TestServer } from '../../support/servers';
import { waitUntil } from '../../support/wait';

export function tempWorkspace(): string {
  return mkdtempSync(join(tmpdir(), 'md-validator-'));
}

/**
 * A counting validator: it appends one JSON line per call to calls.jsonl, then answers what policy.ts
 * (a file it imports) says. Editing either file reloads it.
 */
export function writeCountingValidator(
  dir: string,
  policyBody = 'return 0;',
  version = 1,
): { file: string; calls: () => { job: string; endpoint: string; sha256: string; version: number }[] } {
  const callsFile = join(dir, 'calls.jsonl');
  writeFileSync(
    join(dir, 'validator.ts'),
    `import { appendFileSync } from 'node:fs';
import type { ValidationInput } from 'managed-downloads/validator';
import { verdict } from './policy';
export default function validate(input: ValidationInput) {
  appendFileSync(${JSON.stringify(callsFile)}, JSON.stringify({ job: input.job.id, endpoint: input.endpoint.host + ':' + input.endpoint.port, sha256: input.certificate.sha256, version: ${version} }) + '\\n');
  return verdict(input);
}
`,
  );
  writePolicy(dir, policyBody);
  return {
    file: join(dir, 'validator.ts'),
    calls: () =>
      existsSync(callsFile)
        ? readFileSync(callsFile, 'utf8')
            .trim()
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l))
        : [],
  };
}

export function writePolicy(dir: string, body: string): void {
  writeFileSync(
    join(dir, 'policy.ts'),
    `import type { ValidationInput, ValidationResult } from 'managed-downloads/validator';\nimport * as helper from 'managed-downloads/validator';\nvoid helper;\nexport function verdict(input: ValidationInput): ValidationResult | Promise<ValidationResult> {\n  void input;\n  ${body}\n}\n`,
  );
}

export function touch(file: string): void {
  appendFileSync(file, '\n// edited\n');
}

export interface Gate {
  service: CertificateService;
  provider: GatedConnectionProvider;
  controller: WorkspaceValidatorController;
  dispose(): Promise<void>;
}

export function makeGate(caPem: string, options: { timeLimitMs?: number; memoryLimitMb?: number } = {}): Gate {
  const service = new CertificateService({
    trust: { includeDefaultRoots: false, extraCaPem: [caPem] },
    validatorTimeLimitMs: options.timeLimitMs ?? 5000,
  });
  const provider = new GatedConnectionProvider(service);
  const controller = new WorkspaceValidatorController(service, { memoryLimitMb: options.memoryLimitMb, debounceMs: 50 });
  return {
    service,
    provider,
    controller,
    async dispose() {
      controller.dispose();
      provider.dispose();
      await service.dispose();
    },
  };
}

/** Waits until the workspace validator reaches a state matching `pred` (after a file edit, say). */
export function waitForState(
  service: CertificateService,
  pred: (s: WorkspaceValidatorState) => boolean,
  timeoutMs = 10_000,
): Promise<WorkspaceValidatorState> {
  if (pred(service.workspaceValidator)) return Promise.resolve(service.workspaceValidator);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`validator state stayed ${service.workspaceValidator.status}`));
    }, timeoutMs);
    const sub = service.onDidChangeWorkspaceValidator((s) => {
      if (!pred(s)) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(s);
    });
  });
}

/** Waits for the next change of the workspace validator that matches `pred` (ignores the current state). */
export function nextState(
  service: CertificateService,
  pred: (s: WorkspaceValidatorState) => boolean,
  timeoutMs = 10_000,
): Promise<WorkspaceValidatorState> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`no matching validator change; state is ${service.workspaceValidator.status}`));
    }, timeoutMs);
    const sub = service.onDidChangeWorkspaceValidator((s) => {
      if (!pred(s)) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(s);
    });
  });
}

/**
 * What runs on behalf of this test process: its child processes and its threads (a worker thread is one,
 * a validator process is a child). Linux only (/proc); elsewhere undefined.
 */
export function liveThreadsAndChildren(): { threads: number; children: number } | undefined {
  if (process.platform !== 'linux') return undefined;
  const status = readFileSync('/proc/self/status', 'utf8');
  const threads = Number(/^Threads:\s+(\d+)/m.exec(status)?.[1]);
  let children = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // pid (comm) state ppid ...: comm may hold spaces and parentheses, so read after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) === process.pid && state !== 'Z') children++;
    } catch {
      // gone meanwhile
    }
  }
  return { threads, children };
}

/** Waits (bounded) until what runs for this process is back to `baseline`: nothing a validator started is left. */
export async function waitForNothingLeftRunning(
  baseline: { threads: number; children: number } | undefined,
  timeoutMs = 10_000,
): Promise<void> {
  if (!baseline) return;
  await waitUntil(
    'no thread or child process left running',
    () => {
      const now = liveThreadsAndChildren()!;
      if (now.children <= baseline.children && now.threads <= baseline.threads) return true;
      throw new Error(`still running: ${JSON.stringify(now)}, before: ${JSON.stringify(baseline)}`);
    },
    { timeoutMs, intervalMs: 50 },
  );
}

export interface CliValidatorWorld {
  server: TestServer;
  box: Sandbox;
  /** A workspace folder for validator files. */
  dir: string;
  /** The private CA's PEM, for NODE_EXTRA_CA_CERTS. */
  caFile: string;
}

/**
 * For CLI tests of --validator: an HTTPS server on 127.0.0.1 whose certificate a private CA issued (made now),
 * serving `routes`, a sandbox (store and destination) and a workspace folder; made before the file's tests,
 * removed after them.
 */
export function cliValidatorWorld(routes: Record<string, Buffer>): CliValidatorWorld {
  const world = {} as CliValidatorWorld;
  before(async () => {
    const { server, ca } = await startTlsServer();
    world.server = server;
    for (const [route, body] of Object.entries(routes)) world.server.route(route, { body });
    world.box = sandbox();
    world.dir = tempWorkspace();
    world.caFile = join(world.box.root, 'ca.pem');
    writeFileSync(world.caFile, ca.cert);
  });
  after(async () => {
    await world.server.close();
    await world.box.cleanup();
    rmSync(world.dir, { recursive: true, force: true });
  });
  return world;
}
