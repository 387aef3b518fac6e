// One HTTP GET on our own connection path: a ClientRequest with the job's agent.
// Never https.request/http.request: inside VS Code those swap the agent for every host but localhost and
// 127.0.0.1 (DESIGN.md section 3 point 11), which would skip the certificate gate the agent carries.
// A bare ClientRequest, not axios: a GET without a body, answered by a stream, uses none of axios's features,
// and its request path (config merge, headers, interceptors, its own abort wiring) cost ~0.25 ms of CPU per
// request here (median of 5 interleaved rounds of 1,000 requests: 0.65 ms against 0.42 ms with a bare
// ClientRequest, server included), a quarter of a second on a job of 1,000 small files. bench/FINDINGS.md.
import * as http from 'node:http';
import type { Readable } from 'node:stream';
import { urlToHttpOptions } from 'node:url';
import { isDirectBody, type BodySink, type DirectBody, type DirectGetAgent } from '../net/direct-body';
import type { ClientTlsOptions } from '../tls/client-certificate';

export interface GetRequest {
  url: URL;
  headers: Record<string, string>;
  agent: http.Agent;
  jobId: string;
  fileIndex: number;
  signal: AbortSignal;
  /** The job's client certificate: read by the agent's TLS handshake from the request options. */
  clientTls?: ClientTlsOptions;
}

export interface GetResponse {
  status: number;
  /** Lower-case names, as Node gives them. */
  headers: Record<string, string | undefined>;
  body: ResponseBody;
}

export type ResponseBody = Readable | DirectBody;

export { isDirectBody, type BodySink, type DirectBody };

function directGetOf(agent: http.Agent): DirectGetAgent['directGet'] | undefined {
  const direct = (agent as Partial<DirectGetAgent>).directGet;
  return typeof direct === 'function' ? direct.bind(agent) : undefined;
}

/** Extra options a gated agent reads in createConnection to know whose connection it is vetting. */
export interface JobConnectionOptions {
  mdJobId: string;
  mdFileIndex: number;
  mdSignal: AbortSignal;
}

/**
 * Resolves with the answer's status and headers once they arrive; its body is the response stream itself, or a
 * direct body when the agent has a direct path for the request (bytes stored as sent: no decompression, no
 * redirect following, which belong to the transfer).
 */
export function sendGet(request: GetRequest): Promise<GetResponse> {
  const direct = directGetOf(request.agent)?.(request);
  return direct ?? sendClientRequest(request);
}

function sendClientRequest(request: GetRequest): Promise<GetResponse> {
  const { agent, jobId, fileIndex, signal } = request;
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const options: http.RequestOptions & JobConnectionOptions = {
      ...urlToHttpOptions(request.url),
      ...request.clientTls,
      method: 'GET',
      headers: request.headers,
      agent,
      signal,
      mdJobId: jobId,
      mdFileIndex: fileIndex,
      mdSignal: signal,
    };
    const req = new http.ClientRequest(options, (res) => {
      const headers: Record<string, string | undefined> = {};
      for (const [name, value] of Object.entries(res.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : value;
      resolve({ status: res.statusCode ?? 0, headers, body: res });
    });
    // Kept for the request's whole life: a socket error after the answer began is the body's error (its stream
    // is destroyed with it), and an 'error' without a listener would end the process.
    req.on('error', (err) => reject(signal.aborted ? signal.reason : err));
    req.end();
  });
}
