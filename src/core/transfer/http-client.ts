// One HTTP GET on our own connection path: a ClientRequest with the job's agent.
// Never https.request/http.request: inside VS Code those swap the agent for every host but localhost and
// 127.0.0.1 (DESIGN.md section 3 point 11), which would skip the certificate gate the agent carries.
import * as http from 'node:http';
import type { Readable } from 'node:stream';

export interface GetRequest {
  url: URL;
  headers: Record<string, string>;
  agent: http.Agent;
  jobId: string;
  fileIndex: number;
  signal: AbortSignal;
}

export interface GetResponse {
  status: number;
  /** Lower-case names, as Node gives them. */
  headers: Record<string, string | undefined>;
  body: Readable;
}

/** Extra options a gated agent reads in createConnection to know whose connection it is vetting. */
export interface JobConnectionOptions {
  mdJobId: string;
  mdFileIndex: number;
}

/**
 * The request is a plain ClientRequest with the job's agent: everything a download needs (no redirects
 * followed, no decompression, the body as a stream with backpressure) is what Node does by default, and
 * nothing per request is spent on a wrapper (axios cost about 10 MiB of memory and a share of every small
 * file's time).
 */
export function sendGet(request: GetRequest): Promise<GetResponse> {
  const { url, agent, jobId, fileIndex, signal } = request;
  return new Promise<GetResponse>((resolve, reject) => {
    const options: http.RequestOptions & JobConnectionOptions = {
      method: 'GET',
      protocol: url.protocol,
      hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
      port: url.port || undefined,
      path: `${url.pathname}${url.search}`,
      headers: request.headers,
      agent,
      signal,
      mdJobId: jobId,
      mdFileIndex: fileIndex,
    };
    let req: http.ClientRequest;
    try {
      req = new http.ClientRequest(options, (res) => {
        const headers: Record<string, string | undefined> = {};
        for (const [name, value] of Object.entries(res.headers)) {
          headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value == null ? undefined : String(value);
        }
        // From here on, failures reach the caller through the body stream.
        req.removeListener('error', reject);
        req.on('error', () => undefined);
        resolve({ status: res.statusCode ?? 0, headers, body: res });
      });
    } catch (err) {
      reject(err);
      return;
    }
    req.once('error', reject);
    req.end();
  });
}
