import type { RedisClient } from '@cachelab/redis';
import { CacheStore } from './store';
import { checkNamespace, checkShards, shardKeys, type ShardKeys } from './write-behind-keys';

/**
 * Leaderboard over sharded sorted sets: one ranking per write-behind shard
 * (`<namespace>:{s07}:rank:<name>`), bumped by the very script that counts the increment
 * (wb-record-5.lua), so a score never disagrees with its counter. Reading merges the top of each
 * shard: every id lives in exactly one shard, so the merged top is exactly the global top, with
 * no approximation. See docs/patterns/leaderboard.md.
 */
export interface RankEntry {
  id: string;
  score: number;
}

export interface LeaderboardOptions {
  /** The write-behind counter's namespace and shards: the rankings live beside its counters. */
  namespace: string;
  shards?: number;
}

export class ShardedLeaderboard {
  readonly store: CacheStore;
  private readonly shardKeys: ShardKeys[];

  constructor(redis: RedisClient | CacheStore, options: LeaderboardOptions) {
    this.store = redis instanceof CacheStore ? redis : new CacheStore(redis, { name: 'leaderboard' });
    const namespace = checkNamespace(options.namespace);
    const shards = checkShards(options.shards ?? 16);
    this.shardKeys = Array.from({ length: shards }, (_, shard) => shardKeys(namespace, shard, shards));
  }

  /** The top `limit` ids of a ranking, one ZREVRANGE per shard, merged. */
  async top(ranking: string, limit: number): Promise<RankEntry[]> {
    const perShard = await Promise.all(
      this.shardKeys.map(async (k) => {
        const flat = await this.store.run((redis) => redis.zrevrange(k.ranking(ranking), 0, limit - 1, 'WITHSCORES'));
        const entries: RankEntry[] = [];
        for (let i = 0; i < flat.length; i += 2) entries.push({ id: flat[i]!, score: Number(flat[i + 1]) });
        return entries;
      }),
    );
    return mergeTop(perShard, limit);
  }
}

/** Merges per-shard rankings (each sorted by score, descending) into the top `limit`; ties by id. */
export function mergeTop(lists: RankEntry[][], limit: number): RankEntry[] {
  return lists
    .flat()
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, limit);
}
