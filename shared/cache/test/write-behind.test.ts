import { closeRedis, createRedis, waitForReady, type RedisClient } from '@cachelab/redis';
import { testRedisConfig, uniqueName } from '@cachelab/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeTop, ShardedLeaderboard } from '../src/leaderboard';
import { WriteBehindCounter, type ApplyBatch, type Batch } from '../src/write-behind';
import { shardOf } from '../src/write-behind-keys';

// The database side is a Map here, with the same contract the inventory service's SQL keeps:
// the batch id and the totals change together, and a known batch id changes nothing. The
// service's own tests run the same flows against Postgres.
function memoryDatabase() {
  const totals = new Map<string, number>();
  const applied = new Set<string>();
  const apply: ApplyBatch = async (batch: Batch) => {
    await Promise.resolve(); // the database answers later, like a real one
    if (applied.has(batch.id)) return 'duplicate';
    applied.add(batch.id);
    for (const delta of batch.deltas) totals.set(`${delta.counter}:${delta.id}`, (totals.get(`${delta.counter}:${delta.id}`) ?? 0) + delta.by);
    return 'applied';
  };
  return { totals, applied, apply, total: (counter: string, id: string) => totals.get(`${counter}:${id}`) ?? 0 };
}

let redis: RedisClient;
beforeAll(async () => {
  redis = createRedis(testRedisConfig(), { purpose: 'queue', connectionName: 'write-behind-test' });
  await waitForReady(redis);
});
afterAll(() => closeRedis(redis));

const counterFor = (shards = 4) => new WriteBehindCounter(redis, { namespace: uniqueName('wb'), shards });
const leaderboardOf = (counter: WriteBehindCounter) => new ShardedLeaderboard(counter.store, { namespace: counter.namespace, shards: counter.shards });

async function flushAll(counter: WriteBehindCounter, apply: ApplyBatch) {
  for (let shard = 0; shard < counter.shards; shard += 1) await counter.flushShard(shard, `test-${shard}`, apply);
}

describe('write-behind counter', () => {
  it('persists every recorded increment once, in few batches', async () => {
    const counter = counterFor();
    const db = memoryDatabase();
    const ids = Array.from({ length: 20 }, (_, i) => `SKU-${i + 1}`);
    await Promise.all(ids.flatMap((id, i) => Array.from({ length: i + 1 }, () => counter.record({ id, counter: 'views' }))));

    await flushAll(counter, db.apply);

    ids.forEach((id, i) => expect(db.total('views', id)).toBe(i + 1));
    expect(db.applied.size).toBeLessThanOrEqual(counter.shards);
    expect(await counter.backlog()).toEqual({ pendingFields: 0, openBatches: 0 });
  });

  it('counts an increment with a once-key at most once', async () => {
    const counter = counterFor();
    const once = { key: 'sale:SKU-1:order-1', ttlSeconds: 60 };
    const first = await counter.record({ id: 'SKU-1', counter: 'sold', by: 3, once, ranking: 'sold' });
    const again = await counter.record({ id: 'SKU-1', counter: 'sold', by: 3, once, ranking: 'sold' });

    expect([first, again]).toEqual([true, false]);
    expect((await counter.pending('SKU-1', ['sold'])).unclaimed).toEqual({ sold: 3 });
    expect(await leaderboardOf(counter).top('sold', 5)).toEqual([{ id: 'SKU-1', score: 3 }]);
  });

  it('lists the increments recorded with a once-key in the batch, under their key', async () => {
    const counter = counterFor(1);
    await counter.record({ id: 'SKU-1', counter: 'sold', by: 3, once: { key: 'sale:SKU-1:o-1', ttlSeconds: 60 } });
    await counter.record({ id: 'SKU-1', counter: 'sold', by: 2, once: { key: 'sale:SKU-1:o-2', ttlSeconds: 60 } });
    await counter.record({ id: 'SKU-1', counter: 'views' });

    await counter.claim(0, 'job-1:a');
    const batch = await counter.readBatch(0, 'job-1:a');

    expect(batch?.deltas.sort((a, b) => a.counter.localeCompare(b.counter))).toEqual([
      { id: 'SKU-1', counter: 'sold', by: 5 },
      { id: 'SKU-1', counter: 'views', by: 1 },
    ]);
    expect(batch?.once.sort((a, b) => a.key.localeCompare(b.key))).toEqual([
      { key: 'sale:SKU-1:o-1', id: 'SKU-1', counter: 'sold', by: 3 },
      { key: 'sale:SKU-1:o-2', id: 'SKU-1', counter: 'sold', by: 2 },
    ]);
  });

  it('revokes an identified increment: withdrawn while pending, a negative entry once claimed', async () => {
    const counter = counterFor(1);
    const leaderboard = leaderboardOf(counter);
    const sale = (order: string, by: number) => ({ id: 'SKU-1', counter: 'sold', by, ranking: 'sold', once: { key: `sale:SKU-1:${order}`, ttlSeconds: 60 } });
    await counter.record(sale('o-1', 3));
    await counter.record(sale('o-2', 4));

    expect(await counter.revoke(sale('o-1', 3))).toBe('withdrawn');
    expect((await counter.pending('SKU-1', ['sold'])).unclaimed).toEqual({ sold: 4 });
    expect(await leaderboard.top('sold', 1)).toEqual([{ id: 'SKU-1', score: 4 }]);
    expect(await counter.record(sale('o-1', 3))).toBe(true); // the marker went with it: the order may count again
    expect(await counter.revoke(sale('o-1', 3))).toBe('withdrawn');

    await counter.claim(0, 'job-1:a');
    expect(await counter.revoke(sale('o-2', 4))).toBe('revoked');
    expect(await counter.revoke(sale('o-2', 4))).toBe('absent');
    expect(await leaderboard.top('sold', 1)).toEqual([]);
    await counter.ack(0, 'job-1:a');
    await counter.claim(0, 'job-2:b');
    const batch = await counter.readBatch(0, 'job-2:b');
    expect(batch?.deltas).toEqual([{ id: 'SKU-1', counter: 'sold', by: -4 }]);
    expect(batch?.once).toEqual([{ key: 'sale:SKU-1:o-2', id: 'SKU-1', counter: 'sold', by: -4 }]);
  });

  it('claims nothing new while a batch of the shard is open: one batch per shard, whatever the retries', async () => {
    const counter = counterFor(1);
    const down = new Error('database down');
    const failing: ApplyBatch = () => Promise.reject(down);
    for (let attempt = 0; attempt < 20; attempt += 1) {
      await counter.record({ id: 'SKU-1', counter: 'views' });
      await expect(counter.flushShard(0, `job-${attempt}`, failing)).rejects.toBe(down);
    }

    expect(await counter.backlog()).toEqual({ pendingFields: 1, openBatches: 1 });
    expect((await counter.pending('SKU-1', ['views'])).batches).toHaveLength(1);

    const db = memoryDatabase();
    const report = await counter.flushShard(0, 'job-back', db.apply);
    expect(report.batches.map((b) => [b.result, b.increments])).toEqual([
      ['applied', 1],
      ['applied', 19],
    ]);
    expect(db.total('views', 'SKU-1')).toBe(20);
    expect(await counter.backlog()).toEqual({ pendingFields: 0, openBatches: 0 });
  });

  it('applies the batch of a flush that died before applying it (an orphan) in the next flush', async () => {
    const counter = counterFor(1);
    const db = memoryDatabase();
    await counter.record({ id: 'SKU-1', counter: 'views', by: 5 });
    const crash = new Error('worker killed');
    await expect(counter.flushShard(0, 'job-1', db.apply, { beforeApply: () => Promise.reject(crash) })).rejects.toBe(crash);
    await counter.record({ id: 'SKU-1', counter: 'views', by: 2 });

    const report = await counter.flushShard(0, 'job-2', db.apply);

    expect(report.batches.map((b) => b.result)).toEqual(['applied', 'applied']);
    expect(db.total('views', 'SKU-1')).toBe(7);
  });

  it('does not count twice a batch applied by a flush that died before acknowledging it', async () => {
    const counter = counterFor(1);
    const db = memoryDatabase();
    await counter.record({ id: 'SKU-1', counter: 'views', by: 4 });
    await expect(counter.flushShard(0, 'job-1', db.apply, { beforeAck: () => Promise.reject(new Error('killed')) })).rejects.toThrow();
    expect(db.total('views', 'SKU-1')).toBe(4);

    const report = await counter.flushShard(0, 'job-2', db.apply);

    expect(report.batches.map((b) => b.result)).toEqual(['duplicate']);
    expect(db.total('views', 'SKU-1')).toBe(4);
    expect(await counter.backlog()).toEqual({ pendingFields: 0, openBatches: 0 });
  });

  it('does not overwrite a batch when the claim is sent again with the same id', async () => {
    const counter = counterFor(1);
    await counter.record({ id: 'SKU-1', counter: 'views', by: 3 });
    await counter.claim(0, 'job-1:a');
    await counter.record({ id: 'SKU-1', counter: 'views', by: 1 });

    const open = await counter.claim(0, 'job-1:a');

    expect(open).toEqual(['job-1:a']);
    expect((await counter.readBatch(0, 'job-1:a'))?.increments).toBe(3);
    expect((await counter.pending('SKU-1', ['views'])).unclaimed).toEqual({ views: 1 });
  });

  it('loses and doubles nothing while many flushes race each other and a storm of increments', async () => {
    const counter = counterFor(2);
    const db = memoryDatabase();
    const ids = ['SKU-1', 'SKU-2', 'SKU-3', 'SKU-4'];
    let recording = true;
    let recorded = 0;
    const writers = Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; i < 300; i += 1) {
        await counter.record({ id: ids[(w + i) % ids.length]!, counter: 'views' });
        recorded += 1;
      }
    });
    let round = 0;
    const flushers = Array.from({ length: 3 }, async (_, f) => {
      while (recording) {
        round += 1;
        await counter.flushShard(round % counter.shards, `flusher-${f}-${round}`, db.apply);
      }
    });
    await Promise.all(writers);
    recording = false;
    await Promise.all(flushers);
    await flushAll(counter, db.apply);

    const persisted = ids.reduce((sum, id) => sum + db.total('views', id), 0);
    expect(persisted).toBe(recorded);
    expect(await counter.backlog()).toEqual({ pendingFields: 0, openBatches: 0 });
  });

  it('shows claimed-but-unacknowledged batches as pending', async () => {
    const counter = counterFor(1);
    await counter.record({ id: 'SKU-9', counter: 'views', by: 2 });
    await counter.claim(0, 'job-1:x');
    await counter.record({ id: 'SKU-9', counter: 'views', by: 5 });

    const view = await counter.pending('SKU-9', ['views', 'sold']);

    expect(view).toEqual({ unclaimed: { views: 5, sold: 0 }, batches: [{ id: 'job-1:x', values: { views: 2, sold: 0 } }] });
  });

  it('merges the per-shard rankings into the exact global top', async () => {
    const counter = counterFor(8);
    const scores = Array.from({ length: 40 }, (_, i) => ({ id: `SKU-${i + 1}`, score: ((i * 37) % 41) + 1 }));
    for (const { id, score } of scores) await counter.record({ id, counter: 'sold', by: score, ranking: 'sold' });

    const top = await leaderboardOf(counter).top('sold', 10);

    const expected = [...scores].sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1)).slice(0, 10);
    expect(top).toEqual(expected);
    expect(new Set(scores.map((s) => shardOf(s.id, 8))).size).toBeGreaterThan(4);
  });

  it('orders ties by id when merging', () => {
    expect(mergeTop([[{ id: 'b', score: 2 }], [{ id: 'a', score: 2 }, { id: 'c', score: 1 }]], 2)).toEqual([
      { id: 'a', score: 2 },
      { id: 'b', score: 2 },
    ]);
  });

  it('refuses ids, counters and increments that would corrupt keys or totals', async () => {
    const counter = counterFor(1);
    await expect(counter.record({ id: 'SKU-1}', counter: 'views' })).rejects.toThrow();
    await expect(counter.record({ id: 'SKU-1', counter: 'Views:x' })).rejects.toThrow();
    await expect(counter.record({ id: 'SKU-1', counter: 'views', by: 0 })).rejects.toThrow();
    await expect(counter.record({ id: 'SKU-1', counter: 'views', by: 1.5 })).rejects.toThrow();
  });
});
