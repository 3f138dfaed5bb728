import type { Cluster } from 'ioredis';
import { metricsText, readCounter } from '@cachelab/telemetry';
import { ChaosRedis, testRedisConfig, testRedisMode, uniqueName, waitFor } from '@cachelab/testing';
import type { RedisConnectionConfig } from '@cachelab/redis';
import { afterEach, describe, expect, it } from 'vitest';
import { NearCache, type NearCacheOptions } from '../src/near-cache';
import type { CacheRead } from '../src/types';
import { gate, newStore, productionStore } from './helpers';

interface Product {
  id: string;
  version: number;
}

/** Between a write on one instance and the end of stale reads on another, in this suite. */
const STALENESS_BOUND_MS = 1_000;

/** The origin: what the Redis-level cache and the database would answer. */
function origin() {
  const rows = new Map<string, Product>();
  const load = (id: string) => async (): Promise<CacheRead<Product>> => {
    load.calls += 1;
    return { value: rows.get(id) ?? null, result: 'miss' };
  };
  load.calls = 0;
  const write = (id: string, version: number) => rows.set(id, { id, version });
  return { rows, load, write };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

describe('near cache', () => {
  const opened: NearCache<Product>[] = [];
  const chaos: ChaosRedis[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((cache) => cache.close()));
    await Promise.all(chaos.splice(0).map((proxies) => proxies.close()));
  });

  /** One "service instance": its own store connection, its own subscriber, its own LRU. */
  async function instance(name: string, options: Partial<NearCacheOptions> = {}, via: { store?: RedisConnectionConfig; subscriber?: RedisConnectionConfig } = {}) {
    const store = via.store ? await productionStore(via.store) : await newStore();
    const cache = await NearCache.create<Product>(store, {
      name,
      redis: via.subscriber ?? testRedisConfig(),
      maxEntries: 1000,
      ttlMs: 60_000,
      heartbeatMs: 250,
      ...options,
    });
    opened.push(cache);
    expect(cache.isLive).toBe(true);
    return cache;
  }

  async function proxied(): Promise<ChaosRedis> {
    const proxies = await ChaosRedis.forTestStack(testRedisConfig());
    chaos.push(proxies);
    return proxies;
  }

  it('subscribes with sharded pub/sub on the Cluster and classic pub/sub elsewhere', async () => {
    const name = uniqueName('near');
    const [a] = [await instance(name), await instance(name)];
    const channel = `nearcache:{${name}}:invalidations`;
    const store = await newStore();
    if (testRedisMode() === 'cluster') {
      expect(a.stats().transport).toBe('sharded');
      // Only the shard that owns the channel's slot knows its subscribers.
      const counts = await Promise.all(
        (store.redis as Cluster).nodes('master').map(async (node) => Number(((await node.call('PUBSUB', 'SHARDNUMSUB', channel)) as unknown[])[1])),
      );
      expect(counts.filter((count) => count > 0)).toEqual([2]);
    } else {
      expect(a.stats().transport).toBe('classic');
      expect(Number(((await store.redis.call('PUBSUB', 'NUMSUB', channel)) as unknown[])[1])).toBe(2);
    }
  });

  it('serves repeated reads from memory', async () => {
    const db = origin();
    db.write('1', 1);
    const a = await instance(uniqueName('near'));
    expect(await a.getOrLoad('1', db.load('1'))).toEqual({ value: { id: '1', version: 1 }, result: 'miss', near: 'miss' });
    expect(await a.getOrLoad('1', db.load('1'))).toEqual({ value: { id: '1', version: 1 }, result: 'hit', near: 'hit' });
    expect(db.load.calls).toBe(1);
    expect(await a.getOrLoad('nope', db.load('nope'))).toMatchObject({ value: null, near: 'miss' });
    expect(a.get('nope')).toBeUndefined(); // not-found is not kept: the Redis level caches negatives
    expect(readCounter(await metricsText(), 'cachelab_cache_requests_total', { pattern: 'near-cache', result: 'hit' })).toBeGreaterThan(0);
  });

  it('a write on one instance is not served stale by another beyond a bounded delay', async () => {
    const db = origin();
    const name = uniqueName('near');
    const a = await instance(name);
    const b = await instance(name);
    const deliveries: number[] = [];
    b.on('invalidated', (_keys, { delayMs }) => deliveries.push(delayMs));
    const staleFor: number[] = [];

    for (let version = 1; version <= 100; version++) {
      db.write('1', version);
      if (version > 1) {
        const wrote = performance.now();
        await a.invalidate('1');
        // Poll the other instance as a client would, until it stops answering the old version.
        await waitFor(async () => (await b.getOrLoad('1', db.load('1'))).value?.version === version, {
          timeoutMs: STALENESS_BOUND_MS,
          intervalMs: 1,
          what: `instance B to serve version ${version}`,
        });
        staleFor.push(performance.now() - wrote);
      }
      expect((await a.getOrLoad('1', db.load('1'))).value?.version).toBe(version);
      expect((await b.getOrLoad('1', db.load('1'))).value?.version).toBe(version);
      expect((await b.getOrLoad('1', db.load('1'))).near).toBe('hit');
    }

    staleFor.sort((x, y) => x - y);
    deliveries.sort((x, y) => x - y);
    console.info(
      `[near-cache ${testRedisMode()}] stale window over ${staleFor.length} writes: ` +
        `p50 ${percentile(staleFor, 50).toFixed(2)} ms, p99 ${percentile(staleFor, 99).toFixed(2)} ms, max ${staleFor.at(-1)!.toFixed(2)} ms; ` +
        `publish-to-delivery p50 ${percentile(deliveries, 50)} ms, max ${deliveries.at(-1)} ms`,
    );
    expect(staleFor.at(-1)!).toBeLessThan(STALENESS_BOUND_MS);
    expect(deliveries).toHaveLength(99);
  });

  it('ignores its own invalidation messages (it dropped the key before publishing)', async () => {
    const db = origin();
    const name = uniqueName('near');
    const a = await instance(name);
    const b = await instance(name);
    db.write('1', 1);
    await a.getOrLoad('1', db.load('1'));

    db.write('1', 2);
    const delivered = new Promise((resolve) => b.once('invalidated', resolve));
    await a.invalidate('1');
    expect((await a.getOrLoad('1', db.load('1'))).value?.version).toBe(2); // reloaded at once
    await delivered;
    await waitFor(() => a.stats().ownMessagesIgnored === 1, { what: 'A to receive its own message' });

    // Had A acted on its own message, it would have dropped the fresh value it just loaded.
    expect(await a.getOrLoad('1', db.load('1'))).toMatchObject({ value: { version: 2 }, near: 'hit' });
    expect(a.stats().invalidationsReceived).toBe(0);
  });

  it('does not keep a value whose key was invalidated while it was being loaded', async () => {
    const db = origin();
    const name = uniqueName('near');
    const a = await instance(name);
    const b = await instance(name);
    db.write('1', 1);
    const slowRead = gate();
    const oldRow = db.rows.get('1')!;
    const reading = b.getOrLoad('1', async () => {
      await slowRead.opened; // read the old row, then stall (a slow Redis or database read)
      return { value: oldRow, result: 'miss' };
    });

    db.write('1', 2);
    const delivered = new Promise((resolve) => b.once('invalidated', resolve));
    await a.invalidate('1');
    await delivered;
    slowRead.open();
    expect((await reading).value?.version).toBe(1); // that request began before the write

    expect(await b.getOrLoad('1', db.load('1'))).toMatchObject({ value: { version: 2 }, near: 'miss' });
  });

  it('shares one load among concurrent reads of a key', async () => {
    const db = origin();
    db.write('1', 1);
    const a = await instance(uniqueName('near'));
    const reads = await Promise.all(Array.from({ length: 50 }, () => a.getOrLoad('1', db.load('1'))));
    expect(db.load.calls).toBe(1);
    expect(reads.filter((read) => read.result === 'coalesced')).toHaveLength(49);
  });

  it('keeps at most maxEntries, evicting the least recently used', async () => {
    const db = origin();
    for (let id = 1; id <= 150; id++) db.write(String(id), 1);
    const a = await instance(uniqueName('near'), { maxEntries: 100 });
    for (let id = 1; id <= 100; id++) await a.getOrLoad(String(id), db.load(String(id)));
    expect(a.get('1')).toBeDefined(); // now the most recently used
    for (let id = 101; id <= 150; id++) await a.getOrLoad(String(id), db.load(String(id)));

    expect(a.stats().size).toBe(100);
    expect(a.get('1')).toBeDefined();
    expect(a.get('2')).toBeUndefined();
    expect(a.get('150')).toBeDefined();
  });

  it('empties itself and bypasses while its subscriber is cut off, and keeps nothing from before once back', async () => {
    const db = origin();
    const name = uniqueName('near');
    const proxies = await proxied();
    const a = await instance(name);
    const b = await instance(name, {}, { subscriber: proxies.config });
    db.write('1', 1);
    db.write('2', 1);
    for (const id of ['1', '2']) {
      await b.getOrLoad(id, db.load(id));
      expect((await b.getOrLoad(id, db.load(id))).near).toBe('hit');
    }

    const cut = performance.now();
    proxies.down();
    await waitFor(() => !b.isLive, { intervalMs: 1, what: 'B to notice its subscription is gone' });
    const noticedMs = performance.now() - cut;
    expect(b.stats().size).toBe(0);
    // Invalidations published now never reach B.
    db.write('1', 2);
    expect(await a.invalidate('1')).toBe('published');
    expect(await b.getOrLoad('1', db.load('1'))).toMatchObject({ value: { version: 2 }, near: 'bypass' });
    expect(b.stats().size).toBe(0); // nothing is kept while the subscription is down

    const restored = performance.now();
    proxies.up();
    await waitFor(() => b.isLive, { timeoutMs: 20_000, intervalMs: 1, what: 'B to resubscribe' });
    console.info(
      `[near-cache ${testRedisMode()}] subscriber cut: bypassing after ${noticedMs.toFixed(1)} ms; ` +
        `live again ${(performance.now() - restored).toFixed(0)} ms after the network came back`,
    );
    expect(b.stats().lapses).toBeGreaterThanOrEqual(1);
    // Key 2 was never invalidated, yet it is gone too: what was missed while down is unknown.
    expect(await b.getOrLoad('2', db.load('2'))).toMatchObject({ near: 'miss' });
    expect(await b.getOrLoad('1', db.load('1'))).toMatchObject({ value: { version: 2 }, near: 'miss' });

    // And invalidations reach it again.
    db.write('2', 2);
    await a.invalidate('2');
    await waitFor(async () => (await b.getOrLoad('2', db.load('2'))).value?.version === 2, { timeoutMs: STALENESS_BOUND_MS, intervalMs: 1 });
  });

  it('notices a subscription that died without a sign through its heartbeat, and resubscribes', async () => {
    const db = origin();
    const name = uniqueName('near');
    const a = await instance(name, { heartbeatMs: 50, heartbeatTimeoutMs: 300, resubscribeAfterMs: 500 });
    db.write('1', 1);
    await a.getOrLoad('1', db.load('1'));
    const lapsed = new Promise<string>((resolve) => a.once('lapsed', resolve));

    // Unsubscribe behind the near cache's back: no connection event, messages just stop.
    const subscriber = a['channel']['subscriber'];
    const channel = `nearcache:{${name}}:invalidations`;
    await (a.stats().transport === 'sharded' ? subscriber.sunsubscribe(channel) : subscriber.unsubscribe(channel));

    expect(await lapsed).toBe('heartbeat overdue');
    expect(a.stats().size).toBe(0);
    await waitFor(() => a.isLive, { timeoutMs: 10_000, what: 'a fresh subscriber to go live' });
  });

  it('bounds staleness by the TTL when the writer cannot publish, and publishes once it can', async () => {
    const db = origin();
    const name = uniqueName('near');
    const ttlMs = 2_000;
    const proxies = await proxied();
    const writer = await instance(name, { ttlMs }, { store: proxies.config, subscriber: proxies.config });
    const reader = await instance(name, { ttlMs });
    db.write('1', 1);
    await reader.getOrLoad('1', db.load('1'));
    const loadedAt = performance.now();

    proxies.down();
    db.write('1', 2);
    expect(await writer.invalidate('1')).toBe('deferred');
    // The reader never hears of it: it may serve its copy until the copy's TTL runs out, no longer.
    await waitFor(async () => (await reader.getOrLoad('1', db.load('1'))).value?.version === 2, { timeoutMs: ttlMs + 1_000, intervalMs: 5 });
    expect(performance.now() - loadedAt).toBeLessThan(ttlMs + 500);
    expect(reader.stats().invalidationsReceived).toBe(0);

    proxies.up();
    await waitFor(() => writer.stats().pendingInvalidations === 0, { timeoutMs: 10_000, what: 'the deferred publish to land or expire' });
  });

  it('drops everything everywhere on invalidateAll', async () => {
    const db = origin();
    const name = uniqueName('near');
    const a = await instance(name);
    const b = await instance(name);
    for (const id of ['1', '2', '3']) {
      db.write(id, 1);
      await b.getOrLoad(id, db.load(id));
    }
    expect(b.stats().size).toBe(3);
    await a.invalidateAll();
    await waitFor(() => b.stats().size === 0, { timeoutMs: STALENESS_BOUND_MS, intervalMs: 1 });
  });
});
