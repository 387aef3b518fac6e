// The direct data path's connections (issue 17): gated sockets read through `onread` (each decrypted slice goes
// straight to the body's reader, no stream), one GET at a time on each, pooled per job and protocol for keep-alive.
// Measured in bench/FINDINGS.md ("The limit", point 5): ClientRequest and its stream cost half of curl's speed.
import { createHash } from 'node:crypto';
import type * as net from 'node:net';
import { urlToHttpOptions } from 'node:url';
import type { ClientTlsOptions } from '../tls/client-certificate';
import type { BodySink, DirectAnswer, DirectBody, DirectRequest } from './direct-body';
import type { GatedRequestOptions } from './gated-agent';
import { framingFor, HeadReader, invalidResponse, keepsAlive, parseHead, requestHead, type BodyFraming, type ResponseHead } from './http1';

/** Opens the direct path's connections: the same proxy rules, handshake and certificate gate as the agent's. */
export interface DirectOpener {
  /** A proxy applies to the request's origin (or the proxy setting is bad): the ClientRequest path takes it. */
  usesProxy(secure: boolean, options: GatedRequestOptions): boolean;
  /** A connection reading through `onread`, resolved only once the certificate gate accepted it. */
  openDirect(secure: boolean, jobId: string, options: GatedRequestOptions, onread: (slice: Buffer) => void): Promise<net.Socket>;
}

/** An idle pooled connection is closed after this long. */
const IDLE_CLOSE_MS = 15_000;

function clientKey(client: ClientTlsOptions | undefined): string {
  if (!client || !(client.cert || client.key || client.pfx)) return '';
  const hash = createHash('sha256');
  for (const part of [client.cert, client.key, client.pfx, client.passphrase]) hash.update(part ?? '').update('\0');
  return hash.digest('hex');
}

/** One job's direct connections for one protocol. */
export class DirectPool {
  private readonly idle = new Map<string, DirectConnection[]>();
  private readonly live = new Set<DirectConnection>();
  /** Raised by retire: connections made before it are not pooled again. */
  private generation = 0;
  private closed = false;
  /** Connections opened so far (for tests). */
  opened = 0;

  constructor(
    private readonly opener: DirectOpener,
    private readonly jobId: string,
    private readonly secure: boolean,
  ) {}

  /** The GET on a direct connection, or undefined when a proxy applies. */
  get(request: DirectRequest): Promise<DirectAnswer> | undefined {
    if (this.closed) return undefined;
    const options: GatedRequestOptions = {
      ...urlToHttpOptions(request.url),
      ...request.clientTls,
      mdJobId: request.jobId,
      mdFileIndex: request.fileIndex,
      mdSignal: request.signal,
    };
    if (this.opener.usesProxy(this.secure, options)) return undefined;
    const key = `${options.hostname ?? ''}:${options.port ?? ''}|${clientKey(request.clientTls)}`;
    return this.exchange(key, options, request);
  }

  private async exchange(key: string, options: GatedRequestOptions, request: DirectRequest): Promise<DirectAnswer> {
    const head = requestHead(request.url, request.headers);
    for (let fresh = false; ; fresh = true) {
      if (request.signal.aborted) throw request.signal.reason;
      const reused = fresh ? undefined : this.takeIdle(key);
      const connection = reused ?? (await this.connect(key, options));
      try {
        return await connection.send(head, request.signal);
      } catch (err) {
        // The server closed a pooled connection as we wrote to it (its keep-alive ended): once more, on a new one.
        if (reused && !connection.answered && !request.signal.aborted) continue;
        throw err;
      }
    }
  }

  private async connect(key: string, options: GatedRequestOptions): Promise<DirectConnection> {
    const connection = new DirectConnection(this, key, this.generation);
    const socket = await this.opener.openDirect(this.secure, this.jobId, options, (slice) => connection.read(slice));
    this.opened++;
    if (this.closed) {
      socket.destroy();
      throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    }
    connection.attach(socket);
    if (connection.unsolicited) {
      socket.destroy();
      throw invalidResponse('it sent bytes before any request');
    }
    this.live.add(connection);
    return connection;
  }

  private takeIdle(key: string): DirectConnection | undefined {
    const list = this.idle.get(key);
    for (let connection = list?.pop(); connection; connection = list?.pop()) {
      connection.leaveIdle();
      if (!connection.socket.destroyed) return connection;
    }
    return undefined;
  }

  /** A connection whose answer was read whole: pooled, unless retired since it was made. */
  release(connection: DirectConnection): boolean {
    if (this.closed || connection.generation !== this.generation || connection.socket.destroyed) return false;
    let list = this.idle.get(connection.key);
    if (!list) this.idle.set(connection.key, (list = []));
    list.push(connection);
    connection.enterIdle(IDLE_CLOSE_MS);
    return true;
  }

  drop(connection: DirectConnection): void {
    this.live.delete(connection);
    const list = this.idle.get(connection.key);
    const at = list?.indexOf(connection) ?? -1;
    if (at >= 0) list!.splice(at, 1);
  }

  /** Closes idle connections now; busy ones close when their answer ends. */
  retire(): void {
    this.generation++;
    for (const list of this.idle.values()) for (const connection of [...list]) connection.socket.destroy();
    this.idle.clear();
  }

  /** Closes every connection, busy or not. */
  destroy(): void {
    this.closed = true;
    this.retire();
    for (const connection of [...this.live]) connection.socket.destroy();
  }

  get idleCount(): number {
    let count = 0;
    for (const list of this.idle.values()) count += list.filter((c) => !c.socket.destroyed).length;
    return count;
  }
}

/** A socket and the exchange reading it now (none while it is idle in the pool). */
class DirectConnection {
  socket!: net.Socket;
  private exchange: Exchange | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  /** Some byte of the current answer arrived. */
  answered = false;
  /** Bytes arrived while no request was waiting for an answer. */
  unsolicited = false;

  constructor(
    private readonly pool: DirectPool,
    readonly key: string,
    readonly generation: number,
  ) {}

  attach(socket: net.Socket): void {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('end', () => this.closed());
    socket.on('close', () => this.closed());
    socket.on('error', (err) => this.closed(err));
  }

  read(slice: Buffer): void {
    if (this.exchange) return this.exchange.feed(slice);
    // Bytes nobody asked for (before the first request, or on an idle connection): not a connection to trust.
    this.unsolicited = true;
    this.socket?.destroy();
  }

  send(head: string, signal: AbortSignal): Promise<DirectAnswer> {
    this.answered = false;
    const exchange = new Exchange(this, signal);
    this.exchange = exchange;
    this.socket.write(head, 'latin1');
    this.socket.resume();
    return exchange.answer;
  }

  /** The exchange is over: pooled when `reusable`, closed otherwise. */
  done(exchange: Exchange, reusable: boolean): void {
    if (this.exchange !== exchange) return;
    this.exchange = undefined;
    if (reusable && this.pool.release(this)) return;
    this.socket.destroy();
  }

  enterIdle(ms: number): void {
    // Read while idle, so a server's close is seen at once.
    this.socket.resume();
    this.idleTimer = setTimeout(() => this.socket.destroy(), ms);
    this.idleTimer.unref();
  }

  leaveIdle(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private closed(err?: Error): void {
    this.leaveIdle();
    this.pool.drop(this);
    const exchange = this.exchange;
    this.exchange = undefined;
    exchange?.connectionEnded(err);
    if (!this.socket.destroyed) this.socket.destroy();
  }

  pauseReading(): void {
    this.socket.pause();
  }

  resumeReading(): void {
    this.socket.resume();
  }
}

function closedEarly(message: string): Error {
  // What ClientRequest says for the same events, so that translate() names them as today.
  return Object.assign(new Error(message), { code: 'ECONNRESET' });
}

/** One GET's answer on a connection: its head (the promise `answer`), then its body, delivered to a sink. */
class Exchange implements DirectBody {
  readonly direct = true;
  readonly answer: Promise<DirectAnswer>;
  private resolveAnswer!: (response: DirectAnswer) => void;
  private rejectAnswer!: (err: unknown) => void;
  private readonly reader = new HeadReader();
  private head: ResponseHead | undefined;
  private framing: BodyFraming | undefined;
  private sink: BodySink | undefined;
  private paused = true;
  /** Body bytes that arrived while nobody read them (copies). */
  private pending: Buffer[] = [];
  private finished = false;
  private failure: unknown;
  private destroyed = false;
  /** The sink was told the end or the failure. */
  private reported = false;
  private readonly onAbort = () => this.fail(this.signal.reason);

  constructor(
    private readonly connection: DirectConnection,
    private readonly signal: AbortSignal,
  ) {
    this.answer = new Promise((resolve, reject) => {
      this.resolveAnswer = resolve;
      this.rejectAnswer = reject;
    });
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  feed(slice: Buffer): void {
    this.connection.answered = true;
    try {
      while (!this.framing) {
        const got = this.reader.push(slice);
        if (!got) return;
        const head = parseHead(got.text);
        slice = got.rest;
        if (head.status === 101) throw invalidResponse('HTTP 101 (switching protocols) to a GET');
        if (head.status < 200) continue; // 100 Continue, 103 Early Hints: the answer follows
        this.framing = framingFor(head);
        this.head = head;
        this.signal.removeEventListener('abort', this.onAbort);
        this.resolveAnswer({ status: head.status, headers: head.headers, body: this });
      }
      const after = this.framing.decode(slice, this.emit);
      if (this.framing.done) this.complete(after === 0);
    } catch (err) {
      this.fail(err);
    }
  }

  private readonly emit = (piece: Buffer): void => {
    if (this.destroyed) return;
    if (this.sink && !this.paused) return this.sink.data(piece);
    this.pending.push(Buffer.from(piece));
    this.connection.pauseReading();
  };

  /** The socket ended or failed while this exchange had it. */
  connectionEnded(err: Error | undefined): void {
    if (!err && this.framing?.untilClose) this.complete(false);
    else this.fail(err ?? closedEarly(this.head ? 'aborted' : 'socket hang up'));
  }

  private complete(clean: boolean): void {
    if (this.finished || this.failure !== undefined) return;
    this.finished = true;
    this.connection.done(this, clean && keepsAlive(this.head!, this.framing!));
    this.report();
  }

  private fail(err: unknown): void {
    if (this.finished || this.failure !== undefined) return;
    this.failure = err;
    this.signal.removeEventListener('abort', this.onAbort);
    this.connection.done(this, false);
    if (!this.head) this.rejectAnswer(err);
    else this.report();
  }

  /** Tells the sink the end or the failure once every byte that arrived before it was delivered. */
  private report(): void {
    if (!this.sink || this.paused || this.pending.length > 0 || this.reported || this.destroyed) return;
    if (this.finished) {
      this.reported = true;
      this.sink.end();
    } else if (this.failure !== undefined) {
      this.reported = true;
      this.sink.error(this.failure);
    }
  }

  start(sink: BodySink): void {
    this.sink = sink;
    this.resume();
  }

  pause(): void {
    this.paused = true;
    if (!this.finished && this.failure === undefined) this.connection.pauseReading();
  }

  resume(): void {
    if (!this.sink || this.destroyed) return;
    this.paused = false;
    while (this.pending.length > 0 && !this.paused && !this.destroyed) this.sink.data(this.pending.shift()!);
    if (this.paused || this.destroyed) return;
    if (this.finished || this.failure !== undefined) this.report();
    else this.connection.resumeReading();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.pending = [];
    this.fail(closedEarly('aborted'));
  }
}
