import { ChaosRedis, testRedisConfig, uniqueName, waitFor } from '@cachelab/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { BloomCoverage, drainBacklog, type BacklogListener, type BloomBacklog, type BloomCoverageOptions } from '../src/bloom-coverage';
import { BloomFilter } from '../src/bloom-filter';
import type { BloomId } from '../src/bloom-rebuild';
import type { CacheStore } from '../src/store';
import { newStore, productionStore } from './helpers';

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/**
 * A table of ids and its outbox, in memory: what services/catalog keeps in Postgres (a trigger
 * fills the outbox with each insert). `broken` makes every query fail, as when the database is
 * unreachable; `live(false)` drops the notification channel. Redis is real.
 */
class MemoryBacklog implements BloomBacklog {
  readonly table = new Set<number>();
  readonly outbox = new Set<number>();
  broken = false;
  /** While set, queries never answer (a database that accepts connections and then says nothing). */
  hung: Promise<void> | undefined;
  private listener: BacklogListener | undefined;

  insert(ids: number[]): void {
    for (const id of ids) {
      this.table.add(id);
      this.outbox.add(id);
    }
    this.listener?.changed();
  }
  async pending(limit: number): Promise<BloomId[]> {
    await this.hung;
    this.check();
    return [...this.outbox].sort((a, b) => a - b).slice(0, limit);
  }
  async done(ids: readonly BloomId[]): Promise<void> {
    this.check();
    for (const id of ids) this.outbox.delete(Number(id));
  }
  async waiting(ids: readonly BloomId[]): Promise<number> {
    this.check();
    return ids.filter((id) => this.outbox.has(Number(id))).length;
  }
  async auditSample(newest: number, random: number): Promise<BloomId[]> {
    this.check();
    const drained = [...this.table].filter((id) => !this.outbox.has(id)).sort((a, b) => b - a);
    const sample = drained.slice(0, newest);
    for (let i = 0; i < random && drained.length > 0; i++) sample.push(drained[Math.floor(Math.random() * drained.length)]!);
    return sample;
  }
  async watch(listener: BacklogListener): Promise<void> {
    this.listener = listener;
    listener.live(true);
  }
  live(up: boolean): void {
    this.listener?.live(up);
  }
  async close(): Promise<void> {}
  source = () => [[...this.table]];
  private check(): void {
    if (this.broken) throw new Error('database unreachable');
  }
}

const fast: BloomCoverageOptions = { drainEveryMs: 100, staleAfterMs: 300, auditEveryMs: 60_000 };

describe('Bloom coverage (the keeper that makes a "no" exact)', () => {
  const started: BloomCoverage[] = [];
  const chaoses: ChaosRedis[] = [];
  afterEach(async () => {
    for (const coverage of started.splice(0)) await coverage.stop();
    for (const chaos of chaoses.splice(0)) await chaos.close();
  });

  async function keeper(store: CacheStore, backlog: MemoryBacklog, name: string, options: BloomCoverageOptions = fast) {
    const filter = BloomFilter.create(store, { name, expectedItems: 10_000, falsePositiveRate: 0.0001, source: backlog.source });
    const coverage = new BloomCoverage(filter, backlog, options);
    started.push(coverage);
    await coverage.start();
    return coverage;
  }

  it('learns ids inserted behind its back, from the outbox, and only then says "no" again', async () => {
    const backlog = new MemoryBacklog();
    backlog.insert(range(1, 1_000));
    const coverage = await keeper(await newStore(), backlog, uniqueName('bloom'));
    expect(coverage.state).toBe('covered');
    expect((await coverage.check(5_000)).result).toBe('negative');

    backlog.insert(range(5_000, 5_999)); // by "plain SQL": nobody called add
    await waitFor(() => backlog.outbox.size === 0, { what: 'the outbox to be drained' });
    const answers = await coverage.filter.mightContainMany(range(5_000, 5_999));
    expect(answers.every(Boolean)).toBe(true);
  });

  it('answers bypass, never "no", while its drain cannot run, and "no" again once it can', async () => {
    const backlog = new MemoryBacklog();
    backlog.insert(range(1, 100));
    const coverage = await keeper(await newStore(), backlog, uniqueName('bloom'));
    expect((await coverage.check(5_000)).result).toBe('negative');

    backlog.broken = true; // the database is gone: ids may be committed that we cannot see
    await waitFor(() => coverage.state === 'lagging', { what: 'the coverage to lapse' });
    expect(await coverage.check(5_000)).toEqual({ maybe: true, result: 'bypass' });

    backlog.broken = false;
    await waitFor(() => coverage.state === 'covered', { what: 'the coverage to come back' });
    expect((await coverage.check(5_000)).result).toBe('negative');
  });

  it('stops trusting "no" when its last successful pass started more than staleAfterMs ago (a drain that hangs)', async () => {
    const backlog = new MemoryBacklog();
    const coverage = await keeper(await newStore(), backlog, uniqueName('bloom'));
    expect(coverage.state).toBe('covered');
    let answer!: () => void;
    backlog.hung = new Promise((resolve) => (answer = resolve)); // passes start and never finish
    const hungAt = performance.now();
    await waitFor(() => !coverage.trustsNegatives(), { what: 'the last pass to grow old' });
    expect(performance.now() - hungAt).toBeLessThan(fast.staleAfterMs! + fast.drainEveryMs! + 200);
    expect(coverage.state).toBe('lagging');
    expect((await coverage.check(5_000)).result).toBe('bypass');
    backlog.hung = undefined;
    answer();
    await waitFor(() => coverage.state === 'covered', { what: 'the hung pass to finish' });
  });

  it('answers bypass while its notification channel is down', async () => {
    const backlog = new MemoryBacklog();
    const coverage = await keeper(await newStore(), backlog, uniqueName('bloom'));
    backlog.live(false);
    expect(coverage.state).toBe('lagging');
    expect((await coverage.check(5_000)).result).toBe('bypass');
    backlog.live(true);
    await waitFor(() => coverage.state === 'covered', { what: 'a pass after the channel came back' });
  });

  it('audits: an existing, drained id the filter says "no" to means lost bits, and it rebuilds', async () => {
    const backlog = new MemoryBacklog();
    backlog.insert(range(1, 1_000));
    const coverage = await keeper(await newStore(), backlog, uniqueName('bloom'));
    // A failover to a replica that missed some writes: the filter no longer has 1,000.
    await coverage.filter.rebuild(() => [range(1, 999)]);
    expect(await coverage.filter.mightContain(1_000)).toBe(false);

    const states: string[] = [];
    coverage.onTransition((state) => states.push(state));
    const report = await coverage.audit();
    expect(report.missing).toEqual([1_000]);
    expect(states).toEqual(['unsound', 'lagging']); // rebuilt from the table, then audited sound
    expect(await coverage.filter.mightContain(1_000)).toBe(true);
    await waitFor(() => coverage.state === 'covered', { what: 'the next pass' });
  });

  it('created: adds the ids itself and forgets them from the outbox', async () => {
    const backlog = new MemoryBacklog();
    const coverage = await keeper(await newStore(), backlog, uniqueName('bloom'), { ...fast, drainEveryMs: 60_000, staleAfterMs: 120_000 });
    backlog.insert([42]);
    expect(await coverage.created([42])).toBe('added');
    expect(backlog.outbox.size).toBe(0);
    expect(await coverage.filter.mightContain(42)).toBe(true);
  });

  it('created, cut off from Redis: waits until another instance drained the ids, or createWaitMs', async () => {
    const name = uniqueName('bloom');
    const backlog = new MemoryBacklog();
    backlog.insert(range(1, 10));
    const chaos = await ChaosRedis.forTestStack(testRedisConfig());
    chaoses.push(chaos);
    const writer = await keeper(await productionStore(chaos.config), backlog, name);
    chaos.down();

    // Nobody else drains: the create waits createWaitMs (> staleAfterMs), then acknowledges.
    backlog.insert([100]);
    const before = performance.now();
    expect(await writer.created([100])).toBe('timed-out');
    expect(performance.now() - before).toBeGreaterThanOrEqual(writer.createWaitMs);
    expect(writer.createWaitMs).toBeGreaterThan(fast.staleAfterMs!);

    // Another instance drains: the create returns as soon as its ids left the outbox.
    const other = await keeper(await newStore(), backlog, name);
    backlog.insert([101]);
    expect(await writer.created([101])).toBe('drained-elsewhere');
    expect(await other.filter.mightContainMany([100, 101])).toEqual([true, true]);
  });

  it('drainBacklog (the seed script): drains in batches, and leaves the ids in the outbox when Redis is unreachable', async () => {
    const name = uniqueName('bloom');
    const backlog = new MemoryBacklog();
    const filter = BloomFilter.create(await newStore(), { name, expectedItems: 10_000, falsePositiveRate: 0.0001 });
    await filter.rebuild(() => []);
    backlog.insert(range(1, 2_500));
    expect(await drainBacklog(filter, backlog, 1_000)).toEqual({ ids: 2_500 });
    expect((await filter.mightContainMany(range(1, 2_500))).every(Boolean)).toBe(true);

    const chaos = await ChaosRedis.forTestStack(testRedisConfig());
    chaoses.push(chaos);
    const cut = BloomFilter.create(await productionStore(chaos.config), { name, expectedItems: 10_000, falsePositiveRate: 0.0001 });
    chaos.down();
    backlog.insert([3_000]);
    await expect(drainBacklog(cut, backlog)).rejects.toThrow(/could not add 1 ids/);
    expect(backlog.outbox.has(3_000)).toBe(true);
  });
});
