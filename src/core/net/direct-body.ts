// What the direct data path hands the transfer: a GET's answer whose body is read straight off the connection.
import type { ClientTlsOptions } from '../tls/client-certificate';

/** Where a direct body delivers its bytes. */
export interface BodySink {
  /** Body bytes, in order; `slice` is valid only during the call (its buffer is reused for the next read). */
  data(slice: Buffer): void;
  /** Every byte of the body was delivered. */
  end(): void;
  error(err: unknown): void;
}

/** A body read straight off a connection of the direct path (no stream): slices as they are decrypted. */
export interface DirectBody {
  readonly direct: true;
  /** Starts (or goes on) delivering to `sink`; the bytes that arrived with the head come first. */
  start(sink: BodySink): void;
  pause(): void;
  resume(): void;
  /** Stops reading it; the connection is closed unless the body was read whole. */
  destroy(): void;
}

export function isDirectBody(body: object): body is DirectBody {
  return (body as Partial<DirectBody>).direct === true;
}

export interface DirectRequest {
  url: URL;
  headers: Record<string, string>;
  jobId: string;
  fileIndex: number;
  signal: AbortSignal;
  clientTls?: ClientTlsOptions;
}

export interface DirectAnswer {
  status: number;
  /** Lower-case names; repeated ones joined with ', ', as IncomingMessage gives them. */
  headers: Record<string, string | undefined>;
  body: DirectBody;
}

/** An agent that can answer a GET on its own direct path (undefined: this request takes the ClientRequest path). */
export interface DirectGetAgent {
  directGet(request: DirectRequest): Promise<DirectAnswer> | undefined;
}
