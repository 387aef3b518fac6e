// The CLI's help text and its usage error (exit code 2), in one place. test/unit/cli/help.test.ts checks that it
// names every command and option the parser accepts (args.ts), and nothing else.

export const USAGE = `managed-downloads: BITS-style managed downloads from the command line

Usage:
  managed-downloads get URL... [--dest DIR] [options]   download to DIR (default: the current folder), wait, complete
  managed-downloads create [job options]                 a job with no files, SUSPENDED; prints its id
  managed-downloads add JOB URL... [--dest DIR] [-o NAME] [-i FILE] [--sha256 HEX]...
                                                         add files to a job (BITS AddFileSet)
  managed-downloads set JOB [job options] [--no-headers] [--no-client-cert] [--sha256 [N=]HEX|none]...
                                                         change a job's settings (BITS Set*)
  managed-downloads resume JOB...                        resume jobs (suspended, failed, new) and wait for them
  managed-downloads suspend JOB                          suspend a job; it keeps its bytes
  managed-downloads cancel JOB                           cancel a job and delete its temp files
  managed-downloads complete JOB                         put a transferred job's files in place (BITS Complete)
  managed-downloads run                                  continue every unfinished job of the store
  managed-downloads list                                 the store's jobs
  managed-downloads info JOB                             one job in detail (JOB: its id or a unique prefix)
  managed-downloads watch [JOB...]                       follow jobs another process runs, until they rest
  managed-downloads rejections                           certificate rejections, per server and latest
  managed-downloads check-cert URL [--validator FILE.ts] [--security-flags N] [--ca-file FILE]
                                                         the certificate check alone, no request sent: the chain,
                                                         phase 1 with the flags, the validator's verdict

Files (get, add):
  --dest DIR                 the folder to download into (default: the current folder; made when missing)
  -o, --output NAME          the file name of the only URL (default: the name in the URL)
  -i, --input-file FILE      more URLs, one a line (- reads standard input); blank lines and lines starting with #
                             are skipped; a bad line is reported with its number and nothing starts
  --sha256 HEX               expected sha256 of the file (repeat once per URL, in order); set: --sha256 HEX (a job
                             of one file) or N=HEX (file N, from 0, as info numbers them) changes a file's checksum
                             until it is transferred; none (N=none) drops the check
  --overwrite                replace files that already exist at the destination

Job options (get, create, set):
  --name TEXT                the job's display name (create, set)
  --description TEXT         the job's description (create, set)
  --priority P               foreground, high, normal (default) or low
  --security-flags N         BITS security flags: 0x1 check revocation, 0x2 ignore the name, 0x4 ignore dates,
                             0x8 ignore an unknown CA, 0x10 ignore usage, 0x800 allow https-to-http redirects
  --redirect-policy P        allow (default), report (record the final URL) or disallow (a redirect is an error)
  --retry-delay SECONDS      wait between retries of transient errors (default 5)
  --no-progress-timeout S    give up after S seconds without progress (default 600; 0: the first error is final)
  --header 'Name: value'     send this header on every request (repeatable; set: replaces the job's headers).
                             Authorization, Proxy-Authorization and Cookie are write-only: stored by name only,
                             their values sent by get itself, or given to resume and run in the environment
  --no-headers               set: remove every header of the job
  --auto-complete            create: complete the job by itself once transferred (get always does)
  --client-cert FILE         client certificate (PEM) for servers that require one; its key in the same file
                             or in --client-key FILE
  --client-key FILE          the PEM private key of --client-cert, when it is not in the same file
  --client-pfx FILE          client certificate and key as PKCS#12 (.pfx, .p12) instead
  --no-client-cert           set: remove the job's client certificate
  --client-cert-passphrase-env NAME
                             the environment variable holding the certificate's passphrase (default
                             MANAGED_DOWNLOADS_CLIENT_CERT_PASSPHRASE; on a terminal it is asked for otherwise);
                             never on the command line. Also for run and resume: the job stores the paths only

Running (get, resume, run; check-cert takes --validator and --ca-file):
  --validator FILE.ts        phase-2 certificate validator (TypeScript, as in the editor's setting); jobs need it
                             again at each resume or run: validators are never stored
  --ca-file FILE             trust this CA (PEM) too, in this command (as the setting extraCaFiles; repeatable)
  --limit-rate RATE          at most RATE bytes per second in all, as curl takes it: 100K, 1M, 2G
  --connections N            get: at most N Range connections per large file (default 8; 1: one connection, no
                             segments). Files from 32 MiB start with one and add more only while that is faster
  --without-secret-headers   resume, run: send the requests of a job even when this process lacks the values of
                             some of its write-only headers (by default such a job is not run, and that is said)

Common:
  --store DIR                job store (default: a per-user folder, see below)
  --json                     print JSON on stdout instead of text (see the README for each command's output)
  --verbose                  log the engine's work on stderr
  -h, --help                 this text

Environment: MANAGED_DOWNLOADS_HEADERS  "Name: value" lines sent as write-only headers (kept out of the process
list and the store; resume and run send them to the jobs that name them).

Exit codes: 0 done; 1 a job failed (state, error context, code and description are printed), or the store or
--dest folder could not be written (read-only, disk full: the code and what to do are printed); 2 bad usage;
75 the store is in use by another process (another CLI; for get and run, a VS Code window too; create, add, set,
resume, suspend, cancel and complete are passed to a VS Code window that runs the store): try again later;
also resume and watch when the process that ran the jobs let go of the store and nobody runs them now;
130 interrupted (the job keeps its bytes; 'managed-downloads run' continues it).
Default store: $XDG_STATE_HOME/managed-downloads or ~/.local/state/managed-downloads (Linux),
~/Library/Application Support/managed-downloads (macOS), %LOCALAPPDATA%\\managed-downloads (Windows).`;

/** Bad command-line input: printed with a pointer to --help, exit code 2. */
export class UsageError extends Error {}
