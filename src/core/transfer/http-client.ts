// One HTTP GET through axios, on our own connection path: a ClientRequest with the job's agent.
// Never https.request/http.request: inside VS Code those swap the agent for every host but localhost and
// 127.0.0.1 (DESIGN.md section 3 point 11), which would skip the certificate gate the agent carries.
import * as http from 'node:http';
import type { Readable } from 'node:stream';
import axios, { type AxiosResponse } from 'axios';
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
  body: Readable;
}

/** Extra options a gated agent reads in createConnection to know whose connection it is vetting. */
export interface JobConnectionOptions {
  mdJobId: string;
  mdFileIndex: number;
  mdSignal: AbortSignal;
}

const client = axios.create({
  responseType: 'stream',
  // Redirects are followed by the transfer, per the job's policy (and its https-to-http rule).
  maxRedirects: 0,
  // Bytes are stored as sent, so ranges, lengths and hashes refer to the same entity.
  decompress: false,
  validateStatus: () => true,
  // Proxies belong to the connection provider (the agent), never to axios's environment handling.
  proxy: false,
  maxContentLength: -1,
  maxBodyLength: -1,
  // A GET without a body, answered by a stream: nothing to transform either way, and a job of a thousand small
  // files pays for every step of the request path.
  adapter: 'http',
  transformRequest: [],
  transformResponse: [],
});

export async function sendGet(request: GetRequest): Promise<GetResponse> {
  const { agent, jobId, fileIndex } = request;
  const response: AxiosResponse<Readable> = await client.request<Readable>({
    url: request.url.href,
    method: 'GET',
    headers: request.headers,
    signal: request.signal,
    transport: {
      request(options: http.RequestOptions, callback: (res: http.IncomingMessage) => void): http.ClientRequest {
        const withJob: http.RequestOptions & JobConnectionOptions = { ...options, ...request.clientTls, agent, mdJobId: jobId, mdFileIndex: fileIndex, mdSignal: request.signal };
        return new http.ClientRequest(withJob, callback);
      },
    },
  });
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value == null ? undefined : String(value);
  }
  return { status: response.status, headers, body: response.data };
}
