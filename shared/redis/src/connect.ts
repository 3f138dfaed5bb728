import Redis, { Cluster, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisConnectionConfig } from './config';

export type RedisClient = Redis | Cluster;

/**
 * What a connection is for decides how it behaves when Redis is slow or gone:
 * - `cache`: fail fast. A cache must never make a request wait for Redis: no offline queue,
 *   one retry, a short command timeout. Callers treat errors as "bypass the cache".
 * - `queue`: BullMQ workers and queues. Block and retry forever (`maxRetriesPerRequest: null`),
 *   as BullMQ requires; jobs must not be lost to a reconnect.
 * - `subscriber`: pub/sub. Queue commands while reconnecting so subscriptions are restored.
 */
export type ConnectionPurpose = 'cache' | 'queue' | 'subscriber';

export interface CreateRedisOptions {
  purpose?: ConnectionPurpose;
  /** Shown in CLIENT LIST, handy when reading a trace or a MONITOR. */
  connectionName?: string;
  commandTimeoutMs?: number;
  /** Do not connect until the first command (tests that expect a server to be down). */
  lazyConnect?: boolean;
}

/** Reconnect forever, backing off to at most two seconds between attempts. */
const reconnectDelay = (attempt: number) => Math.min(50 * 2 ** attempt, 2000);

function behaviour(purpose: ConnectionPurpose, commandTimeoutMs: number): RedisOptions {
  switch (purpose) {
    case 'cache':
      return { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: commandTimeoutMs };
    case 'queue':
      return { enableOfflineQueue: true, maxRetriesPerRequest: null };
    case 'subscriber':
      return { enableOfflineQueue: true, maxRetriesPerRequest: null };
  }
}

export function createRedis(config: RedisConnectionConfig, options: CreateRedisOptions = {}): RedisClient {
  const purpose = options.purpose ?? 'cache';
  const { enableOfflineQueue, ...perCommand } = behaviour(purpose, options.commandTimeoutMs ?? 500);
  const common: RedisOptions = {
    ...perCommand,
    password: config.password,
    connectionName: options.connectionName,
    connectTimeout: 2000,
    lazyConnect: options.lazyConnect ?? false,
    retryStrategy: reconnectDelay,
  };

  switch (config.mode) {
    case 'standalone': {
      const node = config.nodes[0];
      if (!node) throw new Error('REDIS_NODES must name the standalone server');
      return new Redis({ ...common, enableOfflineQueue, host: node.host, port: node.port });
    }
    case 'sentinel':
      return new Redis({
        ...common,
        enableOfflineQueue,
        sentinels: config.sentinels,
        name: config.masterName,
        role: 'master',
        sentinelPassword: config.sentinelPassword ?? config.password,
        sentinelRetryStrategy: reconnectDelay,
        // Subscribe to +switch-master so a failover is noticed at once, not at the next error.
        failoverDetector: true,
        natMap: config.natMap,
      });
    case 'cluster': {
      const clusterOptions: ClusterOptions = {
        redisOptions: common,
        enableOfflineQueue,
        clusterRetryStrategy: reconnectDelay,
        natMap: config.natMap,
        scaleReads: 'master',
        slotsRefreshTimeout: 2000,
        // During a failover a cache gives up quickly (the request falls back to the database);
        // a queue connection keeps following redirections until the new master answers.
        maxRedirections: purpose === 'cache' ? 4 : 16,
        retryDelayOnFailover: 100,
        retryDelayOnClusterDown: 100,
        // A subscriber keeps one connection per master, so SSUBSCRIBE reaches the shard that
        // owns each channel (sharded pub/sub, Redis 7), again after every topology change.
        shardedSubscribers: purpose === 'subscriber',
      };
      return new Cluster(config.nodes, clusterOptions);
    }
  }
}

/** Resolves when the client is ready, rejects after `timeoutMs`. */
export function waitForReady(client: RedisClient, timeoutMs = 10_000): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      reject(new Error(`Redis not ready after ${timeoutMs} ms (status ${client.status})`));
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    client.once('ready', onReady);
  });
}

/** Readiness probe: true when a PING comes back. */
export async function pingRedis(client: RedisClient): Promise<boolean> {
  try {
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  }
}

/**
 * Close politely (QUIT), or drop the connection when Redis is not answering. The disconnect
 * afterwards also closes the sockets QUIT leaves behind (the Sentinel failover detector's
 * connections to the sentinels), which would otherwise keep the process alive.
 */
export async function closeRedis(client: RedisClient): Promise<void> {
  if (client.status === 'end') return;
  try {
    await Promise.race([client.quit(), new Promise((_, reject) => setTimeout(reject, 1000).unref())]);
  } catch {
    // not answering: disconnect below
  }
  client.disconnect();
}
