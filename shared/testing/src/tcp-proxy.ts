import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * What the proxy does with connections: forward them, refuse them, hold them silently, or forward
 * the client's bytes and throw the server's answers away.
 */
export type ProxyState = 'up' | 'down' | 'stalled' | 'dropping';

/**
 * A fault-injecting TCP proxy in front of a real server (toxiproxy in a few lines). The client
 * under test talks to the proxy; the test decides when the network "fails":
 *   down()   cut every open connection and refuse new ones (the server looks dead)
 *   stall()  accept connections and keep them open, but let no byte through either way (a hung
 *            server: a query that never answers, a connect that never completes)
 *   dropReplies()  every byte the client sends still reaches the server (the command runs), every
 *            byte it answers is thrown away: the fault a client timeout cannot tell from "never ran"
 *   up()     accept and forward again; connections held by a stall or that lost replies are cut
 * The server itself is never mocked: every byte that gets through reaches the real server.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  /** Connections a stall froze or that lost replies: out of step, cut by up(). */
  private readonly held = new Set<Socket>();
  /** The server side of each forwarded client connection. */
  private readonly upstreams = new Map<Socket, Socket>();
  private mode: ProxyState = 'up';
  port = 0;

  constructor(
    readonly target: { host: string; port: number },
  ) {}

  async start(): Promise<this> {
    this.server = createServer((client) => this.forward(client));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  down(): void {
    this.mode = 'down';
    this.cut();
  }

  /** Freezes open connections where they are and holds new ones unanswered. */
  stall(): void {
    this.mode = 'stalled';
    for (const socket of this.sockets) {
      socket.unpipe();
      socket.pause();
      this.held.add(socket);
    }
  }

  dropReplies(): void {
    this.mode = 'dropping';
    for (const [client, upstream] of this.upstreams) this.discardReplies(client, upstream);
  }

  up(): void {
    // A stalled connection is in an unknown state (half a request sent): end it, as a real
    // network would once the client gave up on it.
    for (const socket of this.held) socket.destroy();
    this.held.clear();
    this.mode = 'up';
  }

  get state(): ProxyState {
    return this.mode;
  }

  get isUp(): boolean {
    return this.mode === 'up';
  }

  async close(): Promise<void> {
    this.down();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private cut(): void {
    for (const socket of [...this.sockets, ...this.held]) socket.destroy();
    this.sockets.clear();
    this.held.clear();
  }

  private forward(client: Socket): void {
    if (this.mode === 'down') {
      client.destroy();
      return;
    }
    if (this.mode === 'stalled') {
      client.on('error', () => undefined);
      client.on('close', () => this.held.delete(client));
      client.pause();
      this.held.add(client);
      return;
    }
    const upstream = connect(this.target.port, this.target.host);
    this.upstreams.set(client, upstream);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.sockets.delete(socket);
        this.held.delete(socket);
        this.upstreams.delete(client);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    if (this.mode === 'dropping') this.discardReplies(client, upstream);
    else upstream.pipe(client);
  }

  private discardReplies(client: Socket, upstream: Socket): void {
    upstream.unpipe(client);
    upstream.on('data', () => undefined);
    this.held.add(client);
  }
}
