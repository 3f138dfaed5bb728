import { connect, createServer, type Server, type Socket } from 'node:net';
import type { HostPort, RedisConnectionConfig } from '@cachelab/redis';
import { CLUSTER_PORTS, SENTINEL_REDIS_PORTS } from '@cachelab/testing';

/**
 * A TCP proxy that can lose replies: while `dropping`, every byte the client sends still reaches
 * the server (the command runs), and every byte the server answers is thrown away (the client's
 * command times out). That is the fault a timeout cannot tell apart from "never ran".
 */
class ReplyDroppingProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  dropping = false;
  refusing = false;
  port = 0;

  constructor(private readonly target: HostPort) {}

  async start(): Promise<this> {
    this.server = createServer((client) => this.forward(client));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  /** Cuts every connection (a stream that lost replies is out of step with its commands). */
  cut(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  async close(): Promise<void> {
    this.refusing = true;
    this.cut();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private forward(client: Socket): void {
    if (this.refusing) {
      client.destroy();
      return;
    }
    const upstream = connect(this.target.port, this.target.host);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      if (!this.dropping) client.write(chunk);
    });
  }
}

/**
 * Proxies in front of every Redis data server of the suite's topology (Cluster nodes, or the
 * Sentinel group's servers; the sentinels are proxied too, and never lose replies), with a config
 * that goes through them (`natMap` rewrites the addresses the servers announce).
 */
export class ReplyDroppingRedis {
  private constructor(
    readonly config: RedisConnectionConfig,
    private readonly data: ReplyDroppingProxy[],
    private readonly all: ReplyDroppingProxy[],
  ) {}

  static async forTestStack(base: RedisConnectionConfig): Promise<ReplyDroppingRedis> {
    const ports = base.mode === 'cluster' ? CLUSTER_PORTS : base.mode === 'sentinel' ? SENTINEL_REDIS_PORTS : base.nodes.map((n) => n.port);
    const address = (node: HostPort) => `${node.host}:${node.port}`;
    const proxyFor = new Map<string, ReplyDroppingProxy>();
    const dataNodes = ports.map((port) => ({ host: '127.0.0.1', port }));
    for (const node of [...dataNodes, ...base.nodes, ...(base.mode === 'sentinel' ? base.sentinels : [])]) {
      if (!proxyFor.has(address(node))) proxyFor.set(address(node), await new ReplyDroppingProxy(node).start());
    }
    const via = (node: HostPort): HostPort => ({ host: '127.0.0.1', port: proxyFor.get(address(node))!.port });
    const config: RedisConnectionConfig = {
      ...base,
      nodes: base.nodes.map(via),
      sentinels: base.mode === 'sentinel' ? base.sentinels.map(via) : base.sentinels,
      natMap: Object.fromEntries([...proxyFor.keys()].map((key) => [key, { host: '127.0.0.1', port: proxyFor.get(key)!.port }])),
    };
    const data = dataNodes.map((node) => proxyFor.get(address(node))!);
    return new ReplyDroppingRedis(config, data, [...proxyFor.values()]);
  }

  /** Commands still run; their replies are lost. */
  dropReplies(): void {
    for (const proxy of this.data) proxy.dropping = true;
  }

  /** Redis unreachable: connections cut and refused. */
  down(): void {
    for (const proxy of this.all) {
      proxy.refusing = true;
      proxy.cut();
    }
  }

  /** Forward again; connections that lost replies are cut (the client reconnects). */
  heal(): void {
    for (const proxy of this.all) {
      if (proxy.dropping) proxy.cut();
      proxy.dropping = false;
      proxy.refusing = false;
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((proxy) => proxy.close()));
  }
}
