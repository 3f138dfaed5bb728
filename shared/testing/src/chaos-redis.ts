import type { HostPort, RedisConnectionConfig } from '@cachelab/redis';
import { CLUSTER_PORTS, SENTINEL_REDIS_PORTS } from './redis-config';
import { TcpProxy } from './tcp-proxy';

const address = (node: HostPort) => `${node.host}:${node.port}`;

/**
 * Puts a TcpProxy in front of every server a client of `base` may talk to (Cluster nodes, or the
 * Sentinel-managed servers and the sentinels) and returns a config that goes through them: seeds
 * and sentinels point at the proxies, and `natMap` rewrites the addresses the servers announce.
 * `down()` makes all of Redis unreachable for that client only; other clients are unaffected.
 * `dropReplies()` lets that client's commands reach the data servers and loses their replies (the
 * sentinels still answer); `up()` heals both.
 */
export class ChaosRedis {
  private constructor(
    readonly config: RedisConnectionConfig,
    private readonly proxies: TcpProxy[],
    /** The proxies in front of data servers (not the sentinels). */
    private readonly data: TcpProxy[],
  ) {}

  static async around(base: RedisConnectionConfig, announced: HostPort[]): Promise<ChaosRedis> {
    const proxyFor = new Map<string, TcpProxy>();
    const servers = [...announced, ...base.nodes, ...(base.mode === 'sentinel' ? base.sentinels : [])];
    for (const node of servers) {
      if (!proxyFor.has(address(node))) proxyFor.set(address(node), await new TcpProxy(node).start());
    }
    const via = (node: HostPort): HostPort => ({ host: '127.0.0.1', port: proxyFor.get(address(node))!.port });
    const natMap = Object.fromEntries([...proxyFor.keys()].map((key) => [key, { host: '127.0.0.1', port: proxyFor.get(key)!.port }]));
    const config: RedisConnectionConfig = {
      ...base,
      nodes: base.nodes.map(via),
      sentinels: base.mode === 'sentinel' ? base.sentinels.map(via) : base.sentinels,
      natMap,
    };
    const dataServers = announced.length > 0 ? announced : base.nodes;
    return new ChaosRedis(config, [...proxyFor.values()], dataServers.map((node) => proxyFor.get(address(node))!));
  }

  /** Around the suite's Redis: every Cluster node, or the Sentinel group, or the one server. */
  static forTestStack(base: RedisConnectionConfig): Promise<ChaosRedis> {
    const announced = base.mode === 'cluster' ? CLUSTER_PORTS : base.mode === 'sentinel' ? SENTINEL_REDIS_PORTS : [];
    return ChaosRedis.around(base, announced.map((port) => ({ host: '127.0.0.1', port })));
  }

  down(): void {
    for (const proxy of this.proxies) proxy.down();
  }

  /** Commands still run on the data servers; their replies are lost. */
  dropReplies(): void {
    for (const proxy of this.data) proxy.dropReplies();
  }

  up(): void {
    for (const proxy of this.proxies) proxy.up();
  }

  async close(): Promise<void> {
    await Promise.all(this.proxies.map((proxy) => proxy.close()));
  }
}
