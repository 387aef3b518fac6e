// Following jobs another process runs (watch, a forwarded resume) ends when that process is gone: a closed VS Code
// window lets go of the store's lease (or stops renewing it), and then nobody will move the jobs again until
// someone runs them. Without this the CLI would follow a store nobody runs until Ctrl-C.
import { StoreLease } from '../core/store/lease';
import { EXIT_STORE_BUSY, type CliIO } from './outcome';

/** Other windows take the store over within a second or two of its holder letting go; this much longer is nobody. */
const NOBODY_FOR_MS = 3_000;
const POLL_MS = 1_000;

export interface HolderWatch {
  /** Resolves once nobody has held the store for a few seconds; never rejects. */
  readonly gone: Promise<void>;
  dispose(): void;
}

export function watchForNoHolder(storeDir: string, { pollMs = POLL_MS, nobodyForMs = NOBODY_FOR_MS } = {}): HolderWatch {
  // Only read: this lease object never tries to take the store.
  const lease = new StoreLease(storeDir);
  let timer: NodeJS.Timeout | undefined;
  let disposed = false;
  let nobodySince: number | undefined;
  const gone = new Promise<void>((resolve) => {
    const look = async () => {
      if (disposed) return;
      const holder = await lease.current().catch(() => undefined);
      const now = Date.now();
      if (holder === undefined || lease.isExpired(holder, now)) {
        nobodySince ??= now;
        if (now - nobodySince >= nobodyForMs) return resolve();
      } else {
        nobodySince = undefined;
      }
      if (!disposed) timer = setTimeout(() => void look(), pollMs);
    };
    void look();
  });
  return {
    gone,
    dispose: () => {
      disposed = true;
      clearTimeout(timer);
      void lease.dispose();
    },
  };
}

/** Says (and, with --json, prints) that the CLI stopped following jobs nobody runs any more; the exit code to return. */
export function reportNobodyRuns(io: CliIO, json: boolean, storeDir: string, jobIds: readonly string[], holder?: string): number {
  if (json) io.stdout.write(JSON.stringify({ ok: false, nobodyRuns: true, jobs: jobIds }) + '\n');
  io.stderr.write(nobodyRunsMessage(storeDir, jobIds, holder) + '\n');
  return EXIT_STORE_BUSY;
}

function nobodyRunsMessage(storeDir: string, jobIds: readonly string[], holder = 'the process that ran them'): string {
  const them = jobIds.length === 1 ? 'the job' : 'the jobs';
  return `stopped following: ${holder} no longer holds the store ${storeDir} (closed?), so nobody runs ${them} now. They keep their bytes; 'managed-downloads resume ${jobIds.map((id) => id.slice(0, 8)).join(' ')}' continues ${jobIds.length === 1 ? 'it' : 'them'} here, or open the VS Code window again.`;
}
