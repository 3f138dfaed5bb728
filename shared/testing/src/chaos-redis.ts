import type { HostPort, RedisConnectionConfig } from '@cachelab/redis';
import { TcpProxy } from './tcp-proxy';

const address = (node: HostPort) => `${node.host}:${node.port}`;

/**
 * Puts a TcpProxy in front of every server a client of `base` may talk to (Cluster nodes, or the
 * Sentinel-managed servers and the sentinels) and returns a config that goes through them: seeds
 * and sentinels point at the proxies, and `natMap` rewrites the addresses the servers announce.
 * `down()` makes all of Redis unreachable for that client only; other clients are unaffected.
 */
export class ChaosRedis {
  private constructor(
    readonly config: RedisConnectionConfig,
    private readonly proxies: TcpProxy[],
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
      sentinels: base.sentinels.map(via),
      natMap,
    };
    return new ChaosRedis(config, [...proxyFor.values()]);
  }

  down(): void {
    for (const proxy of this.proxies) proxy.down();
  }

  up(): void {
    for (const proxy of this.proxies) proxy.up();
  }

  async close(): Promise<void> {
    await Promise.all(this.proxies.map((proxy) => proxy.close()));
  }
}
