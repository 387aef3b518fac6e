// Shared by the UI and API tests inside VS Code: a real HTTP server on the fixture's host (127.0.0.2, the
// path real hosts take), the extension's API and its internal test hooks, and polling helpers.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ManagedDownloadsApi } from '../../../src/api';
import type { DownloadEngine, JobSnapshot } from '../../../src/core/model/job';
import { TEST_HOOKS_COMMAND, type InternalTestingHooks } from '../../../src/ui/testing';
import { activated } from '../extension-under-test';
import { waitUntil } from '../../support/wait';
import { testFixture } from '../fixture';

/** The byte at offset i of every served file: deterministic, so content can be checked without storing it. */
export function content(size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + 7) & 0xff;
  return b;
}

export function sha256(data: Buffer): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

/**
 * Routes: `/file/NAME?size=N` (Range supported), `/slow/NAME?size=N&chunk=K&every=MS` (drips K bytes every MS
 * ms, Range supported), `/status/CODE/NAME`, `/flaky/KEY/NAME?size=N` (503 on the first request per KEY,
 * then the file).
 */
export class TestServer {
  private server!: http.Server;
  private readonly flakySeen = new Set<string>();
  readonly requests: string[] = [];
  baseUrl = '';

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    const host = testFixture().serverHost;
    await new Promise<void>((resolve) => this.server.listen(0, host, resolve));
    this.baseUrl = `http://${host}:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  url(route: string): string {
    return this.baseUrl + route;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', this.baseUrl);
    this.requests.push(`${req.method} ${url.pathname}${url.search} ${req.headers.range ?? ''}`);
    const parts = url.pathname.split('/').filter(Boolean);
    const size = Number(url.searchParams.get('size') ?? 1000);
    if (parts[0] === 'status') {
      res.writeHead(Number(parts[1]), { 'content-type': 'text/plain' }).end(`status ${parts[1]}`);
      return;
    }
    if (parts[0] === 'flaky' && !this.flakySeen.has(parts[1])) {
      this.flakySeen.add(parts[1]);
      res.writeHead(503, { 'content-type': 'text/plain' }).end('try later');
      return;
    }
    const body = content(size);
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const headers: http.OutgoingHttpHeaders = {
      'content-type': 'application/octet-stream',
      'accept-ranges': 'bytes',
      etag: `"v1-${size}"`,
    };
    if (range && Number(range[1]) < size) {
      start = Number(range[1]);
      res.writeHead(206, { ...headers, 'content-length': size - start, 'content-range': `bytes ${start}-${size - 1}/${size}` });
    } else {
      res.writeHead(200, { ...headers, 'content-length': size });
    }
    if (parts[0] !== 'slow') {
      res.end(body.subarray(start));
      return;
    }
    const chunk = Number(url.searchParams.get('chunk') ?? 1000);
    const every = Number(url.searchParams.get('every') ?? 100);
    let offset = start;
    const timer = setInterval(() => {
      if (res.destroyed) return clearInterval(timer);
      const end = Math.min(size, offset + chunk);
      res.write(body.subarray(offset, end));
      offset = end;
      if (offset >= size) {
        clearInterval(timer);
        res.end();
      }
    }, every);
    res.on('close', () => clearInterval(timer));
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * The public API object, and the extension's internals through the command it registers only under its
 * tests (ExtensionMode.Test); the API object itself carries no hook.
 */
export async function extensionApi(): Promise<{ api: ManagedDownloadsApi; hooks: InternalTestingHooks; engine: DownloadEngine }> {
  const ext = await activated();
  const api = ext.exports as ManagedDownloadsApi;
  const hooks = await vscode.commands.executeCommand<InternalTestingHooks | undefined>(TEST_HOOKS_COMMAND);
  if (!hooks) throw new Error(`${TEST_HOOKS_COMMAND} returned nothing: is VS Code running the extension under its tests?`);
  return { api, hooks, engine: await hooks.engine() };
}

/** Polls until `condition` returns a truthy value; fails with `what` after `timeoutMs` (waitUntil, every 50 ms). */
export function waitFor<T>(what: string, condition: () => T | Promise<T>, timeoutMs = 15000): Promise<NonNullable<T>> {
  return waitUntil(what, condition, { timeoutMs, intervalMs: 50 });
}

/**
 * Answers the quick pick that `pending` (a command) shows by accepting its selected (first) entry, as a person
 * pressing Enter would, and resolves as the command does. VS Code says nothing to an extension when a quick pick
 * opens, so this accepts until the command has returned; accepting with no quick pick open does nothing.
 */
export async function acceptQuickPick<T>(pending: Thenable<T>, what: string): Promise<T> {
  let settled = false;
  const result = Promise.resolve(pending).finally(() => (settled = true));
  result.catch(() => undefined);
  await waitFor(`${what} (the quick pick answered with its first entry)`, async () => {
    if (!settled) await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    return settled;
  });
  return result;
}

export async function waitForState(engine: DownloadEngine, jobId: string, state: number, timeoutMs = 15000): Promise<JobSnapshot> {
  return waitFor(
    `job ${jobId} to reach state ${state} (now ${engine.getJob(jobId)?.state})`,
    () => {
      const job = engine.getJob(jobId);
      return job && job.state === state ? job : undefined;
    },
    timeoutMs,
  );
}

/** A fresh folder for this test's downloads, inside the workspace (so the Explorer can reveal files). */
export function downloadFolder(name: string): string {
  const dir = path.join(testFixture().workspaceFolder, 'downloads', `${name}-${Date.now()}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

export async function setSetting(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('managedDownloads').update(key, value, vscode.ConfigurationTarget.Workspace);
}

/** Cancels every unfinished job so one test's jobs do not hold another's transfer slots. */
export async function cancelAllJobs(engine: DownloadEngine): Promise<void> {
  for (const job of engine.listJobs()) await engine.cancel(job.id).catch(() => undefined);
}
