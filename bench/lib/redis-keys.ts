import { Cluster } from 'ioredis';
import type { RedisClient } from '@cachelab/redis';

/**
 * Deletes every key starting with `prefix` (a bench's own keyspace), on every master of a
 * Cluster or on the one server. Keys are unlinked one by one: on a Cluster node, one UNLINK of
 * keys from different slots would be refused (CROSSSLOT).
 */
export async function unlinkByPrefix(redis: RedisClient, prefix: string): Promise<number> {
  const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
  let removed = 0;
  for (const node of nodes) {
    for await (const keys of node.scanStream({ match: `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`, count: 1000 }) as AsyncIterable<string[]>) {
      if (keys.length === 0) continue;
      const pipeline = node.pipeline();
      for (const key of keys) pipeline.unlink(key);
      await pipeline.exec();
      removed += keys.length;
    }
  }
  return removed;
}
