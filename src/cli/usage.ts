// The CLI's help text and its usage error (exit code 2), in one place.

export const USAGE = `managed-downloads: BITS-style managed downloads from the command line

Usage:
  managed-downloads get URL... [--dest DIR] [options]   download to DIR (default: the current folder)
  managed-downloads run [--store DIR] [--json]           continue every unfinished job of the store
  managed-downloads list [--store DIR] [--json]          the store's jobs
  managed-downloads info JOB [--store DIR] [--json]      one job in detail (JOB: its id or a unique prefix)
  managed-downloads resume JOB [--store DIR] [--json]    resume a suspended or failed job and wait for it
  managed-downloads cancel JOB [--store DIR]             cancel a job and delete its temp files
  managed-downloads rejections [--store DIR] [--json]    certificate rejections, per server and latest
  managed-downloads check-cert URL [--validator FILE.ts] [--security-flags N] [--json]
                                                         the certificate check alone, no request sent: the chain,
                                                         phase 1 with the flags, the validator's verdict

Options of get:
  --sha256 HEX               expected sha256 of the file (repeat once per URL, in order)
  --header 'Name: value'     send this header on every request (repeatable); Authorization, Proxy-Authorization
                             and Cookie are write-only: sent by this process, stored by name only
  --priority P               foreground, high, normal (default) or low
  --security-flags N         BITS security flags (e.g. 0x800 allows https-to-http redirects)
  --retry-delay SECONDS      wait between retries of transient errors (default 5)
  --no-progress-timeout S    give up after S seconds without progress (default 600; 0: the first error is final)
  --connections N            at most N Range connections per large file (default 8; 1: one connection, no
                             segments). Files from 32 MiB start with one and add more only while that is faster
  --overwrite                replace files that already exist at the destination
  --client-cert FILE         client certificate (PEM) for servers that require one; its key in the same file
                             or in --client-key FILE
  --client-pfx FILE          client certificate and key as PKCS#12 (.pfx, .p12) instead
  --client-cert-passphrase-env NAME
                             the environment variable holding the certificate's passphrase (default
                             MANAGED_DOWNLOADS_CLIENT_CERT_PASSPHRASE; on a terminal it is asked for otherwise);
                             never on the command line. Also for run and resume: the job stores the paths only
  --validator FILE.ts        phase-2 certificate validator (TypeScript, as in the editor's setting); also for run
                             and resume, whose jobs need it again: validators are never stored
Common:
  --store DIR                job store (default: a per-user folder, see below)
  --json                     print one JSON object (or array) on stdout instead of text
  --verbose                  log the engine's work on stderr
  --help

Environment: MANAGED_DOWNLOADS_HEADERS  "Name: value" lines sent as write-only headers (kept out of the process
list and the store; run and resume send them again to the jobs that name them).

Exit codes: 0 done; 1 a job failed (state, error context, code and description are printed), or the store or
--dest folder could not be written (read-only, disk full: the code and what to do are printed); 2 bad usage;
75 the store is in use by another process (a VS Code window, another CLI): try again later, or another --store;
130 interrupted (the job keeps its bytes; 'managed-downloads run' continues it).
Default store: $XDG_STATE_HOME/managed-downloads or ~/.local/state/managed-downloads (Linux),
~/Library/Application Support/managed-downloads (macOS), %LOCALAPPDATA%\\managed-downloads (Windows).`;

/** Bad command-line input: printed with a pointer to --help, exit code 2. */
export class UsageError extends Error {}
