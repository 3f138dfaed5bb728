import type { HostPort, RedisConnectionConfig, RedisMode } from '@cachelab/redis';

const hostPorts = (ports: number[]): HostPort[] => ports.map((port) => ({ host: '127.0.0.1', port }));

export const CLUSTER_PORTS = [7001, 7002, 7003, 7004, 7005, 7006];
export const SENTINEL_REDIS_PORTS = [6381, 6382, 6383];
export const SENTINEL_PORTS = [26381, 26382, 26383];

/** The Redis the test suite runs against: REDIS_MODE picks the native stack's Cluster or Sentinel group. */
export function testRedisMode(): RedisMode {
  const mode = process.env.REDIS_MODE ?? 'cluster';
  if (mode !== 'cluster' && mode !== 'sentinel' && mode !== 'standalone') throw new Error(`bad REDIS_MODE ${mode}`);
  return mode;
}

export function testRedisConfig(mode: RedisMode = testRedisMode()): RedisConnectionConfig {
  return {
    mode,
    nodes: process.env.REDIS_NODES
      ? process.env.REDIS_NODES.split(',').map((node) => ({ host: node.split(':')[0]!, port: Number(node.split(':')[1]) }))
      : hostPorts(mode === 'standalone' ? [SENTINEL_REDIS_PORTS[0]!] : CLUSTER_PORTS),
    sentinels: hostPorts(SENTINEL_PORTS),
    masterName: 'cachelab',
    password: process.env.REDIS_PASSWORD ?? 'cachelab',
  };
}

/**
 * The environment every service test instance starts with: the suite's Redis (REDIS_MODE) and the
 * service's test database. `PORT` is a placeholder: test servers listen on a free port.
 */
export function serviceTestEnv(databaseUrl: string, overrides: Record<string, string> = {}): Record<string, string> {
  const redis = testRedisConfig();
  const list = (nodes: HostPort[]) => nodes.map((node) => `${node.host}:${node.port}`).join(',');
  return {
    DATABASE_URL: databaseUrl,
    REDIS_MODE: redis.mode,
    REDIS_NODES: list(redis.nodes),
    REDIS_SENTINELS: list(redis.sentinels),
    REDIS_PASSWORD: redis.password ?? '',
    LOG_LEVEL: 'warn',
    PORT: '3999',
    ...overrides,
  };
}
