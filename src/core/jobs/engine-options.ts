// What a JobEngine is opened with: the store's folder, where connections come from, and the limits and timings
// (BITS's defaults unless given; tests pass shorter ones).
import type { SegmentPolicy } from '../transfer/segments';
import type { ConnectionProvider, JobSnapshot } from '../model/job';
import type { ClientCertificateSecret } from '../tls/client-certificate';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export interface JobEngineOptions {
  storeDir: string;
  /** Where connections come from (the certificate gate plugs in here); default: Node's own verification. */
  connections?: ConnectionProvider;
  /** Owner of jobs created without one. */
  owner?: string;
  /** No retry comes sooner than this, whatever the job says (BITS's minimum, 5 s; tests pass less). */
  retryDelayFloorSeconds?: number;
  /** Progress events per job at most this often (BITS: 500 ms). */
  progressIntervalMs?: number;
  maxConcurrentJobs?: number;
  /** Length of a time slice when more jobs of one priority wait than there are slots. */
  timeSliceMs?: number;
  /** A connection silent this long fails with a transient time-out (and is retried). */
  stallTimeoutMs?: number;
  /**
   * Continue the store's unfinished jobs on open (false: load them to show, run only jobs this engine is asked to;
   * a function: continue the jobs it accepts, e.g. the CLI's `run` leaves a job whose secrets it lacks alone).
   */
  resumeStoredJobs?: boolean | ((job: JobSnapshot) => boolean);
  /** Values of write-only headers (kept in a secret store, never in the job store). */
  headerSecrets?: (jobId: string) => Record<string, string> | undefined | Promise<Record<string, string> | undefined>;
  /** A client certificate's passphrase and secret-kept material; asked only of jobs whose certificate needs them. */
  clientCertificateSecrets?: (jobId: string) => ClientCertificateSecret | undefined | Promise<ClientCertificateSecret | undefined>;
  /** ACKNOWLEDGED and CANCELLED jobs stay readable (getJob, the store) this long, then are removed. */
  finalJobRetentionMs?: number;
  /** Coalescing delay of progress writes to the store. */
  storeCoalesceMs?: number;
  /** Several Range connections for one large file (default: on, 8 connections, from 32 MiB). */
  segments?: Partial<SegmentPolicy>;
  /** Total download rate of all jobs, bytes per second; 0 or absent: no limit. */
  bandwidthLimit?: number;
  log?: (level: LogLevel, message: string) => void;
}
