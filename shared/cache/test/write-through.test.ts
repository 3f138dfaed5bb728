import { cacheWriteFailures } from '@cachelab/telemetry';
import { ChaosRedis, testRedisConfig, uniqueName, waitFor } from '@cachelab/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { decode } from '../src/envelope';
import { entityKey } from '../src/keys';
import { ReadThrough } from '../src/read-through';
import type { CacheStore } from '../src/store';
import { WriteThrough } from '../src/write-through';
import { CacheRepairer, MemoryRepairLog } from '../src/write-through-repair';
import { gate, newStore } from './helpers';

interface Row {
  id: number;
  name: string;
  version: number;
}

/** A one-table "database" with row versions, as the catalog's UPDATE ... version + 1 gives. */
function database() {
  const rows = new Map<number, Row>();
  return {
    rows,
    commit(id: number, name: string): Row {
      const row = { id, name, version: (rows.get(id)?.version ?? 0) + 1 };
      rows.set(id, row);
      return row;
    },
    async find(id: number): Promise<Row | null> {
      return rows.get(id) ?? null;
    },
  };
}

function setup(store: CacheStore, namespace: string, db: ReturnType<typeof database>, log = new MemoryRepairLog()) {
  const reads = new ReadThrough<Row>(store, namespace, { kind: 'row', ttlMs: 60_000, negativeTtlMs: 30_000, load: (id) => db.find(id) });
  const repairer = new CacheRepairer(store, log, { versionTtlMs: 3_600_000, maxBypassMs: 60_000 });
  const writes = new WriteThrough<Row>(store, reads, repairer, { ttlMs: 60_000, negativeTtlMs: 30_000 });
  return { reads, writes, repairer, log };
}

const failures = async () => (await cacheWriteFailures.get()).values.find((v) => v.labels.pattern === 'write-through')?.value ?? 0;

describe('write-through', () => {
  let chaos: ChaosRedis | undefined;
  afterEach(async () => chaos?.close());

  it('writes the committed row: the next read is a hit with the new row', async () => {
    const store = await newStore();
    const db = database();
    const { reads, writes } = setup(store, uniqueName('wt'), db);

    expect(await writes.write(1, db.commit(1, 'created'), 1)).toBe('written');
    expect(await reads.get(1)).toEqual({ value: { id: 1, name: 'created', version: 1 }, result: 'hit' });
    const updated = db.commit(1, 'updated');
    expect(await writes.write(1, updated, updated.version)).toBe('written');
    expect(await reads.get(1)).toEqual({ value: updated, result: 'hit' });
  });

  it('cache writes arriving out of commit order leave the newest row', async () => {
    const store = await newStore();
    const db = database();
    const { reads, writes } = setup(store, uniqueName('wt'), db);
    const v1 = db.commit(1, 'first');
    const v2 = db.commit(1, 'second');
    const v3 = db.commit(1, 'third');

    expect(await writes.write(1, v3, 3)).toBe('written');
    expect(await writes.write(1, v1, 1)).toBe('superseded');
    expect(await writes.write(1, v2, 2)).toBe('superseded');
    expect((await reads.get(1)).value).toEqual(v3);
  });

  it('a plain SET would have ended on the older row (the test can fail)', async () => {
    const store = await newStore();
    const db = database();
    const { reads } = setup(store, uniqueName('wt'), db);
    const [v1, v2] = [db.commit(1, 'first'), db.commit(1, 'second')];
    const entry = reads.keys(1).entry;
    await store.redis.set(entry, JSON.stringify({ v: v2, e: Date.now() + 60_000, d: 0 }));
    await store.redis.set(entry, JSON.stringify({ v: v1, e: Date.now() + 60_000, d: 0 }));
    expect((await reads.get(1)).value).toEqual(v1);
  });

  it('a read-through fill that loaded the old row cannot overwrite the written one', async () => {
    const store = await newStore();
    const db = database();
    const namespace = uniqueName('wt');
    const { writes } = setup(store, namespace, db);
    db.commit(1, 'old');
    const loaded = gate();
    const release = gate();
    const slowReads = new ReadThrough<Row>(store, namespace, {
      kind: 'row',
      ttlMs: 60_000,
      load: async (id) => {
        const row = await db.find(id); // reads "old"...
        loaded.open();
        await release.opened; // ...and stalls
        return row;
      },
    });

    const slowRead = slowReads.get(1);
    await loaded.opened;
    const fresh = db.commit(1, 'new');
    expect(await writes.write(1, fresh, fresh.version)).toBe('written');
    release.open();
    expect((await slowRead).value?.name).toBe('old'); // it answers what it read...
    expect((await slowReads.get(1)).value).toEqual(fresh); // ...but did not replace the written row
  });

  it('a delete caches "not found", and a late write of the deleted row is refused', async () => {
    const store = await newStore();
    const db = database();
    const { reads, writes } = setup(store, uniqueName('wt'), db);
    const row = db.commit(1, 'doomed');
    await writes.write(1, row, 1);

    db.rows.delete(1);
    expect(await writes.remove(1, row.version + 1)).toBe('written');
    expect(await reads.get(1)).toEqual({ value: null, result: 'negative' });
    expect(await writes.write(1, row, row.version)).toBe('superseded');
    expect(await reads.get(1)).toEqual({ value: null, result: 'negative' });
  });

  it('cache write failing after the commit: counted, repair recorded, read from the database here, repaired by another instance', async () => {
    chaos = await ChaosRedis.forTestStack(testRedisConfig());
    const writerStore = await newStore(chaos.config, { volumeThreshold: 100 });
    const otherStore = await newStore();
    const namespace = uniqueName('wt');
    const db = database();
    const log = new MemoryRepairLog(); // stands for the shared table of the service's database
    const writer = setup(writerStore, namespace, db, log);
    const other = setup(otherStore, namespace, db, log);

    const v1 = db.commit(1, 'before');
    await writer.writes.write(1, v1, 1);
    expect((await other.reads.get(1)).value).toEqual(v1);

    const v2 = db.commit(1, 'after'); // the commit succeeds...
    chaos.down(); // ...then the writer loses Redis, before its cache write
    const failuresBefore = await failures();
    expect(await writer.writes.write(1, v2, v2.version)).toBe('repair-pending');
    expect(await failures()).toBe(failuresBefore + 1);
    expect(log.size).toBe(1);

    // The writer does not serve the stale entry: it reads this entity from the database.
    expect(await writer.reads.get(1)).toEqual({ value: v2, result: 'bypass' });
    // Redis still holds v1 (nobody could reach it for the writer)...
    expect(decode<Row>(await otherStore.redis.get(other.reads.keys(1).entry))).toMatchObject({ value: v1 });
    // ...until any instance that reaches Redis drains the repair log.
    expect(await other.repairer.runOnce()).toBe(1);
    expect(log.size).toBe(0);
    expect(await otherStore.redis.get(other.reads.keys(1).entry)).toBeNull();
    expect(await other.reads.get(1)).toEqual({ value: v2, result: 'miss' });

    // A late write of v1 is refused: the repair recorded version 2.
    expect(await otherStore.redis.get(entityKey(namespace, 1, 'rowver'))).toBe('2');
    expect(await other.writes.write(1, v1, 1)).toBe('superseded');

    chaos.up();
    // The writer notices the repair was applied elsewhere, and caches again.
    await waitFor(async () => (await writer.repairer.runOnce(), writer.repairer.pendingCount === 0), { what: 'the writer to drop its bypass' });
    await waitFor(async () => (await writer.reads.get(1)).result === 'hit', { what: 'the writer to read from Redis again' });
    expect((await writer.reads.get(1)).value).toEqual(v2);
  });

  it('dropAll drops bulk-written entries at their versions, without filling any', async () => {
    const store = await newStore();
    const db = database();
    const { reads, writes } = setup(store, uniqueName('wt'), db);
    const ids = Array.from({ length: 1200 }, (_, i) => i + 1);
    for (const id of ids.slice(0, 100)) await writes.write(id, db.commit(id, 'cached'), 1);
    const newer = db.commit(7, 'newer'); // version 2, written through before the import's drop lands
    await writes.write(7, newer, 2);

    const rows = ids.map((id) => ({ id, rowVersion: id === 7 ? 1 : 2 }));
    const result = await writes.dropAll(rows, { batchSize: 500, pattern: 'write-around' });
    expect(result).toEqual({ dropped: 1199, superseded: 1, repairPending: 0 });
    expect(await store.redis.exists(reads.keys(1).entry)).toBe(0);
    expect(await store.redis.exists(reads.keys(1000).entry)).toBe(0); // not filled
    expect((await reads.get(7)).value).toEqual(newer); // the newer write survived
  });
});
