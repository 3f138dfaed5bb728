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
