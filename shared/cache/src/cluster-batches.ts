/// <reference path="./cluster-key-slot.d.ts" />
import calculateSlot from 'cluster-key-slot';
import type { Cluster } from 'ioredis';
import type { RedisClient } from '@cachelab/redis';

// Bulk work on keys spread over a Cluster. Multi-key commands (UNLINK k1 k2 ...) must stay within
// one slot, and a pipeline goes to one node; so keys are grouped by slot, and slots by node.

/**
 * Items grouped by the slot of their key, slots grouped by the node serving them: one pipeline
 * per node, one multi-key command per slot. A Sentinel or standalone server holds every slot.
 */
export function groupByNode<T>(redis: RedisClient, items: readonly T[], keyOf: (item: T) => string): T[][][] {
  if (items.length === 0) return [];
  if (!(redis as Cluster).isCluster) return [[[...items]]];
  const cluster = redis as Cluster;
  const bySlot = new Map<number, T[]>();
  for (const item of items) {
    const slot = calculateSlot(keyOf(item));
    const group = bySlot.get(slot);
    if (group) group.push(item);
    else bySlot.set(slot, [item]);
  }
  const byNode = new Map<string, T[][]>();
  for (const [slot, slotItems] of bySlot) {
    // ioredis sends a pipeline to one "allocation group" (a master and its replicas): group alike.
    const node = cluster.slots[slot]?.join(',') ?? `unassigned:${slot}`;
    const slots = byNode.get(node);
    if (slots) slots.push(slotItems);
    else byNode.set(node, [slotItems]);
  }
  return [...byNode.values()];
}

/** The replies of an executed pipeline; throws the first command error. */
export function failOnError(results: [Error | null, unknown][] | null): unknown[] {
  if (!results) throw new Error('pipeline was not executed');
  return results.map(([error, reply]) => {
    if (error) throw error;
    return reply;
  });
}

const ENTITY_KEY = /^([^:{}]+):\{([^{}]+)\}:([^:{}]+)$/;

/** The invalidation counter beside an entity entry (`user:{42}:profile` -> `user:{42}:ver`), same slot. */
export function versionKeyOf(entry: string): string | undefined {
  const match = ENTITY_KEY.exec(entry);
  return match && match[3] !== 'ver' ? `${match[1]}:{${match[2]}}:ver` : undefined;
}

export interface UnlinkOptions {
  /**
   * Also bump the invalidation counter of keys named like entity entries (see versionKeyOf), so
   * that a fill which loaded before the removal has its write-back refused (set-if-version-2.lua).
   */
  bumpVersions?: boolean;
  versionTtlMs?: number;
}

/**
 * UNLINKs `keys` with one pipeline per node and one UNLINK per slot; returns how many existed and
 * how many pipelines were sent. Keep `keys` to a batch (a few hundred): it is sent at once.
 */
export async function unlinkByNode(redis: RedisClient, keys: readonly string[], options: UnlinkOptions = {}): Promise<{ removed: number; pipelines: number }> {
  const groups = groupByNode(redis, keys, (key) => key);
  const removed = await Promise.all(
    groups.map(async (slots) => {
      const pipeline = redis.pipeline();
      const unlinks: number[] = []; // positions of the UNLINK replies among the pipeline's replies
      let position = 0;
      for (const slotKeys of slots) {
        if (options.bumpVersions) {
          for (const version of new Set(slotKeys.map(versionKeyOf))) {
            if (!version) continue;
            pipeline.incr(version).pexpire(version, options.versionTtlMs ?? 24 * 3600_000);
            position += 2;
          }
        }
        pipeline.unlink(...slotKeys);
        unlinks.push(position++);
      }
      const results = failOnError(await pipeline.exec());
      return unlinks.reduce((sum, at) => sum + Number(results[at]), 0);
    }),
  );
  return { removed: removed.reduce((sum, n) => sum + n, 0), pipelines: groups.length };
}
