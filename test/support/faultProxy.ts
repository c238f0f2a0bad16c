// A TCP proxy in front of the kube-apiserver that can drop connections on cue, for fault tests. TLS passes through
// untouched: the client still verifies the server's certificate (it names 127.0.0.1, where the proxy listens too).
//
// To drop "the next request" the proxy reads TLS record headers (never their contents) on the client's side: the
// first application-data record after the handshake is where an HTTP request starts. It can drop the connection
//  - 'request':  when that record arrives, before forwarding it: the API server never sees the request;
//  - 'response': after forwarding the request, holding back what the server answers until it falls quiet (the
//    connection is kept alive) or closes, then resetting the client: the server did the work, the client never
//    hears of it.
// A request is noticed at the start of its first record; a kept-alive connection carries several, one at a time.
// cut() resets every open and every new connection until restore(): an API server that cannot be reached at all.
import net from 'node:net';

export type DropPoint = 'request' | 'response';

export interface DropOptions {
  /**
   * For 'response': called once the server's answer is in (and held back), before the client is reset, e.g. to
   * see through another client what the server did.
   */
  readonly beforeDrop?: () => Promise<unknown>;
}

export interface DropRecord {
  readonly point: DropPoint;
  /** 1-based number of the connection that was dropped. */
  readonly connection: number;
  /** For 'response': bytes the server had answered with (held back from the client). */
  readonly heldBytes: number;
  /** What beforeDrop threw, if it did (the drop happens regardless). */
  readonly beforeDropError?: unknown;
}

const APPLICATION_DATA = 0x17;
/** An encrypted alert is at most 26 bytes (2 + explicit nonce + tag); the shortest HTTP request needs more. */
const MIN_REQUEST_RECORD = 32;
/** For 'response': the server's answer is taken as complete once it has been quiet this long (or it closed). */
const ANSWER_QUIET_MS = 300;

/** The headers (type, body length) of the TLS records that start in each chunk of one direction of a connection. */
class RecordHeaders {
  private header: number[] = [];
  private bodyLeft = 0;

  push(chunk: Buffer): Array<{ type: number; length: number }> {
    const records: Array<{ type: number; length: number }> = [];
    let pos = 0;
    while (pos < chunk.length) {
      if (this.bodyLeft > 0) {
        const take = Math.min(this.bodyLeft, chunk.length - pos);
        this.bodyLeft -= take;
        pos += take;
        continue;
      }
      this.header.push(chunk[pos++]);
      if (this.header.length === 5) {
        this.bodyLeft = (this.header[3] << 8) | this.header[4];
        records.push({ type: this.header[0], length: this.bodyLeft });
        this.header = [];
      }
    }
    return records;
  }
}

interface Armed {
  point: DropPoint;
  options: DropOptions;
  resolve: (record: DropRecord) => void;
}

class Connection {
  private readonly clientRecords = new RecordHeaders();
  private readonly serverRecords = new RecordHeaders();
  private serverSentEncrypted = false;
  private clientEncrypted = 0;
  private tls13 = false;
  /** Set once this connection is the one to drop in 'response' mode. */
  private holding?: { armed: Armed; bytes: number; timer?: NodeJS.Timeout; settling: boolean };
  private closed = false;

  constructor(readonly id: number, readonly client: net.Socket, readonly upstream: net.Socket, private readonly proxy: FaultProxy) {
    client.on('data', (chunk: Buffer) => this.fromClient(chunk));
    upstream.on('data', (chunk: Buffer) => this.fromServer(chunk));
    client.on('end', () => upstream.end());
    upstream.on('end', () => {
      if (this.holding) void this.settle();
      else client.end();
    });
    // Either side failing or closing ends the pair; errors are the point of this proxy, not test failures.
    for (const [socket, other] of [[client, upstream], [upstream, client]] as const) {
      socket.on('error', () => other.destroy());
      socket.on('close', () => {
        this.finish();
        other.destroy();
      });
    }
  }

  private fromClient(chunk: Buffer): void {
    if (this.closed) return;
    let startsRequest = false;
    for (const { type, length } of this.clientRecords.push(chunk)) {
      if (type !== APPLICATION_DATA) continue;
      // TLS 1.3 (the server's handshake was already encrypted): the client's first encrypted record is its
      // Finished; TLS 1.2: the first is already data. Client certificates under TLS 1.3 would add records here.
      this.clientEncrypted++;
      if (this.clientEncrypted === 1) this.tls13 = this.serverSentEncrypted;
      // Records too short to hold a request are alerts: the close_notify of a connection that has had its answer.
      if ((!this.tls13 || this.clientEncrypted > 1) && length >= MIN_REQUEST_RECORD) startsRequest = true;
    }
    if (startsRequest && !this.holding) {
      const armed = this.proxy.takeArmed();
      if (armed?.point === 'request') {
        this.drop();
        armed.resolve({ point: 'request', connection: this.id, heldBytes: 0 });
        return;
      }
      if (armed) this.holding = { armed, bytes: 0, settling: false };
    }
    forward(chunk, this.client, this.upstream);
  }

  private fromServer(chunk: Buffer): void {
    if (this.closed) return;
    if (this.serverRecords.push(chunk).some((r) => r.type === APPLICATION_DATA)) this.serverSentEncrypted = true;
    const holding = this.holding;
    if (!holding) return forward(chunk, this.upstream, this.client);
    if (holding.settling) return;
    holding.bytes += chunk.length;
    // A kept-alive connection stays open after the answer: the answer is complete once the server falls quiet.
    clearTimeout(holding.timer);
    holding.timer = setTimeout(() => void this.settle(), ANSWER_QUIET_MS);
  }

  /** The held answer is complete: let the test look, then reset the client so it never hears it. */
  private async settle(): Promise<void> {
    const holding = this.holding;
    if (!holding || holding.settling) return;
    holding.settling = true;
    clearTimeout(holding.timer);
    let beforeDropError: unknown;
    try {
      await holding.armed.options.beforeDrop?.();
    } catch (error) {
      beforeDropError = error;
    }
    this.drop();
    holding.armed.resolve({ point: 'response', connection: this.id, heldBytes: holding.bytes, ...(beforeDropError ? { beforeDropError } : {}) });
  }

  /** Resets both sides (RST, not FIN: the client sees ECONNRESET, as when a network path dies). */
  drop(): void {
    if (this.closed) return;
    reset(this.client);
    reset(this.upstream);
    this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    const holding = this.holding;
    if (holding && !holding.settling) {
      // The connection ended by itself while the answer was held back (cut(), or the server went away).
      clearTimeout(holding.timer);
      reset(this.client);
      holding.armed.resolve({ point: 'response', connection: this.id, heldBytes: holding.bytes });
    }
    this.proxy.forget(this);
  }
}

/**
 * Sends RST where it can. A socket whose FIN is already on its way is destroyed instead: resetting it with the
 * shutdown pending leaves its handle behind, and Node then spins forever at exit.
 */
function reset(socket: net.Socket): void {
  if (socket.writableEnded || socket.destroyed) socket.destroy();
  else socket.resetAndDestroy();
}

/** Writes, pausing the source while the destination's buffer is full. */
function forward(chunk: Buffer, source: net.Socket, destination: net.Socket): void {
  if (!destination.write(chunk)) {
    source.pause();
    destination.once('drain', () => source.resume());
  }
}

export class FaultProxy {
  private readonly server: net.Server;
  private readonly open = new Set<Connection>();
  private readonly armed: Armed[] = [];
  private cutting = false;
  private connections = 0;

  private constructor(private readonly target: { host: string; port: number }) {
    this.server = net.createServer({ allowHalfOpen: true }, (client) => this.accept(client));
  }

  /** Starts a proxy on 127.0.0.1 (a free port) in front of `target`, an https:// URL or host:port. */
  static async start(target: string): Promise<FaultProxy> {
    const url = new URL(target.includes('://') ? target : `tcp://${target}`);
    const proxy = new FaultProxy({ host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)) });
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
    });
    return proxy;
  }

  /** Connections accepted so far (a client that keeps its connection alive opens one). */
  get connectionsAccepted(): number {
    return this.connections;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** The server URL for a kubeconfig cluster entry. */
  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  /** Drops the connection of the next request to start (on any connection); resolves once it has been dropped. */
  dropNext(point: DropPoint, options: DropOptions = {}): Promise<DropRecord> {
    return new Promise((resolve) => this.armed.push({ point, options, resolve }));
  }

  /** The API server becomes unreachable: every open connection is reset, and every new one, until restore(). */
  cut(): void {
    this.cutting = true;
    for (const connection of [...this.open]) connection.drop();
  }

  restore(): void {
    this.cutting = false;
  }

  /** Forgets drops still waiting for their request. */
  disarm(): void {
    this.armed.splice(0);
  }

  async stop(): Promise<void> {
    this.cutting = true;
    this.disarm();
    for (const connection of [...this.open]) connection.drop();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** @internal */
  takeArmed(): Armed | undefined {
    return this.armed.shift();
  }

  /** @internal */
  forget(connection: Connection): void {
    this.open.delete(connection);
  }

  private accept(client: net.Socket): void {
    const id = ++this.connections;
    if (this.cutting) {
      client.on('error', () => undefined);
      reset(client);
      return;
    }
    client.setNoDelay(true);
    const upstream = net.connect({ ...this.target, allowHalfOpen: true, noDelay: true });
    this.open.add(new Connection(id, client, upstream, this));
  }
}
