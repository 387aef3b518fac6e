// Commands forwarded to the process that holds a store's lease: a process without the lease writes a request
// file in <store>/commands, the holder polls the folder, runs the verb on its engine and writes the answer beside
// it. Files are written atomically, so neither side ever reads half a request or half an answer.
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { BitsError, Codes, ErrorContext } from '../errors';
import type { DownloadEngine } from '../model/job';
import { writeAtomically } from './atomic-file';
import { nestingDepth } from './job-format';

/** The verbs another process may ask the holder to run (all take and return plain JSON). */
export const FORWARDED_VERBS = [
  'createJob',
  'addFile',
  // BITS AddFileSet (all or none), as the CLI's `add` asks for it; an engine without it refuses it (E_INVALIDARG).
  'addFiles',
  'resume',
  'suspend',
  'cancel',
  'complete',
  'setPriority',
  'retryNow',
  'setValidatorSource',
  'setProperties',
  'removeJob',
  // Its argument names files and says whether a passphrase exists; secrets never go through this folder.
  'setClientCertificate',
] as const;
export type ForwardedVerb = (typeof FORWARDED_VERBS)[number];

interface Request {
  verb: ForwardedVerb;
  args: unknown[];
  pid: number;
}

type Answer = { ok: true; value: unknown } | { ok: false; code: number; context: ErrorContext; message: string };

/** The largest forwarded verb (createJob, setProperties with 16 KiB of headers) is far below both bounds. */
const MAX_REQUEST_CHARS = 1024 * 1024;
const MAX_REQUEST_NESTING = 8;

const REQUEST = '.req.json';
const ANSWER = '.res.json';

export function commandsFolder(storeDir: string): string {
  return path.join(storeDir, 'commands');
}

export interface ForwardLimits {
  /** The holder must take the request (claim its file) within this time, or it is withdrawn unrun. */
  claimTimeoutMs: number;
  /** ...and answer it within this time from when it was sent. */
  answerTimeoutMs: number;
}

/** What became of a forwarded verb: answered, or not taken by the holder (withdrawn, so it never runs). */
export type ForwardOutcome = { taken: true; value: unknown } | { taken: false };

/**
 * The caller's side: sends one verb and waits for the holder's answer. A request the holder has not taken within
 * claimTimeoutMs is withdrawn and reported as not taken (the holder takes no work: the caller may take the store
 * over); one taken but not answered within answerTimeoutMs fails clearly.
 */
export async function forwardCommand(
  storeDir: string,
  verb: ForwardedVerb,
  args: unknown[],
  limits: ForwardLimits,
  holderText: () => Promise<string>,
): Promise<ForwardOutcome> {
  const folder = commandsFolder(storeDir);
  await fs.mkdir(folder, { recursive: true });
  const id = randomUUID();
  const request: Request = { verb, args, pid: process.pid };
  const requestFile = path.join(folder, id + REQUEST);
  await writeAtomically(requestFile, JSON.stringify(request));
  const answerFile = path.join(folder, id + ANSWER);
  const sent = Date.now();
  let taken = false;
  while (Date.now() < sent + limits.answerTimeoutMs) {
    const text = await fs.readFile(answerFile, 'utf8').catch(() => undefined);
    if (text !== undefined) {
      await fs.rm(answerFile, { force: true });
      const answer = JSON.parse(text) as Answer;
      if (answer.ok) return { taken: true, value: answer.value };
      throw new BitsError(answer.code, answer.message, answer.context);
    }
    if (!taken && Date.now() >= sent + limits.claimTimeoutMs) {
      // Withdrawn by removing it, as the holder claims it: exactly one of the two succeeds.
      if (
        await fs.rm(requestFile).then(
          () => true,
          () => false,
        )
      )
        return { taken: false };
      taken = true;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // Withdraw the request so a holder that wakes up later does not run a command nobody waits for.
  await fs.rm(requestFile, { force: true });
  throw new BitsError(
    Codes.MD_E_STORE_IN_USE,
    `The jobs of this store are run by ${await holderText()}, which did not answer within ${Math.round(limits.answerTimeoutMs / 1000)} s, so '${verb}' was not done. Try again in a moment; if that process hangs, close it: this window takes over once its lease expires.`,
    ErrorContext.GENERAL_QUEUE_MANAGER,
  );
}

/** The holder's side: polls the folder and runs each request once on `engine`. */
export class CommandInbox {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(
    private readonly storeDir: string,
    private readonly engine: DownloadEngine,
    private readonly pollMs = 200,
    private readonly log: (message: string) => void = () => undefined,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.poll(), this.pollMs);
    this.timer.unref();
    void this.poll();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async poll(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const folder = commandsFolder(this.storeDir);
      const names = (await fs.readdir(folder).catch(() => [] as string[])).filter((n) => n.endsWith(REQUEST)).sort();
      for (const name of names) {
        if (!this.timer) break;
        await this.handle(path.join(folder, name), path.join(folder, name.slice(0, -REQUEST.length) + ANSWER));
      }
    } finally {
      this.busy = false;
    }
  }

  private async handle(requestFile: string, answerFile: string): Promise<void> {
    let text: string;
    try {
      text = await fs.readFile(requestFile, 'utf8');
      // Claimed by removing it: a request is run at most once, even if this process dies right after.
      await fs.rm(requestFile);
    } catch {
      return;
    }
    let answer: Answer;
    try {
      // A request is input from a file anyone with access to the store can write: bounded before it is parsed.
      if (text.length > MAX_REQUEST_CHARS || nestingDepth(text) > MAX_REQUEST_NESTING) {
        throw new BitsError(
          Codes.E_INVALIDARG,
          `A forwarded command larger than ${MAX_REQUEST_CHARS} characters or nested deeper than ${MAX_REQUEST_NESTING} levels was refused.`,
        );
      }
      const request = JSON.parse(text) as Request;
      if (!(FORWARDED_VERBS as readonly string[]).includes(request.verb) || !Array.isArray(request.args)) {
        throw new BitsError(Codes.E_INVALIDARG, `Unknown forwarded command ${String(request.verb)}.`);
      }
      this.log(`running '${request.verb}' for pid ${request.pid}`);
      const method = (this.engine as unknown as Record<string, unknown>)[request.verb];
      if (typeof method !== 'function')
        throw new BitsError(Codes.E_INVALIDARG, `The process that runs this store's jobs cannot do '${request.verb}'.`);
      const value: unknown = await (method as (...args: unknown[]) => Promise<unknown>).apply(this.engine, request.args);
      answer = { ok: true, value: value ?? null };
    } catch (err) {
      const bits = err instanceof BitsError ? err : new BitsError(Codes.E_FAIL, (err as Error).message);
      answer = { ok: false, code: bits.code, context: bits.context, message: bits.message };
    }
    await writeAtomically(answerFile, JSON.stringify(answer)).catch((err: unknown) =>
      this.log(`could not answer: ${(err as Error).message}`),
    );
  }
}
