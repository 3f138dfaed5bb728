import { randomUUID } from 'node:crypto';
import { withSpan } from '@cachelab/telemetry';
import { detectBloomBackend, type BloomBackend } from './bloom-backend';
import type { BloomParameters } from './bloom-math';
import { BLOOM_PATTERN, bloomScripts, chunks, type BloomKeys } from './bloom-scripts';
import { readBloomStats } from './bloom-stats';
import { SingleFlight } from './single-flight';
import type { CacheStore } from './store';

export type BloomId = string | number;
/** Every id that exists, in batches, read from the database when called (see `BloomRebuilder.rebuild`). */
export type BloomIdSource = () => AsyncIterable<readonly BloomId[]> | Iterable<readonly BloomId[]>;

export interface BloomRebuild {
  outcome: 'rebuilt' | 'already-running' | 'present';
  /** Ids read from the source. */
  items: number;
  ms: number;
}

export interface BloomRebuilderOptions {
  name: string;
  keys: BloomKeys;
  parameters: BloomParameters;
  expectedItems: number;
  falsePositiveRate: number;
  backend: 'auto' | BloomBackend;
  batchSize: number;
  /** How long a rebuild may go between two batches before another instance may take over. */
  leaseMs: number;
}

/**
 * The leased rebuild: fill a new filter from the database, then swap it in atomically.
 *
 *   bloom-begin-2.lua   create `next` (empty, new parameters) and take the lease: its meta hash
 *                       names the builder and expires unless renewed. Taken: other instances
 *                       answer 'already-running'.
 *   bloom-add-4.lua     with the builder's token: a batch of source ids into `next`, lease renewed.
 *                       Without a token (a normal add, a drain): into the live filter AND `next`,
 *                       so an id created during the rebuild is in the filter that replaces it.
 *   bloom-swap-4.lua    `next` becomes live, bits and parameters in one step.
 *   bloom-abort-2.lua   the source failed: drop `next`, keep the live filter.
 *
 * The source must read the database after `begin` (a function, not a list made earlier): an id
 * committed before `begin` is then read by the source, one committed after it is added to `next`
 * by whoever adds it. Either way the new filter has it.
 */
export class BloomRebuilder {
  private readonly flights = new SingleFlight();

  constructor(
    private readonly store: CacheStore,
    private readonly options: BloomRebuilderOptions,
  ) {}

  rebuild(source: BloomIdSource): Promise<BloomRebuild> {
    return withSpan('bloom.rebuild', { 'cache.pattern': BLOOM_PATTERN, 'cache.key': this.options.keys.bits }, async (span) => {
      const { value } = await this.flights.do('rebuild', () => this.run(source));
      span.setAttributes({ 'cache.result': value.outcome, 'bloom.items': value.items });
      return value;
    });
  }

  /**
   * Rebuild when the filter is missing, was sized for other parameters, or is older than
   * `maxAgeMs` (a periodic rebuild forgets deleted ids and resizes). Called at start and on a
   * timer by every instance; the lease lets one of them do it.
   */
  async ensureBuilt(source: BloomIdSource, { maxAgeMs }: { maxAgeMs?: number } = {}): Promise<BloomRebuild> {
    const stats = await readBloomStats(this.store, this.options.keys);
    const sized = stats && stats.capacity === this.options.expectedItems && stats.errorRate === this.options.falsePositiveRate;
    const fresh = stats && (maxAgeMs === undefined || (stats.builtAt !== null && Date.now() - stats.builtAt < maxAgeMs));
    if (sized && fresh) return { outcome: 'present', items: 0, ms: 0 };
    return this.rebuild(source);
  }

  private async run(source: BloomIdSource): Promise<BloomRebuild> {
    const started = Date.now();
    const { keys, parameters, expectedItems, falsePositiveRate, leaseMs, name } = this.options;
    const backend = this.options.backend !== 'auto' ? this.options.backend : await detectBloomBackend(this.store);
    const token = randomUUID();
    const scripts = (fn: (s: ReturnType<typeof bloomScripts>) => Promise<number>) => this.store.run((redis) => fn(bloomScripts(redis)));

    const begun = await scripts((s) => s.bloomBegin(keys.next, keys.nextMeta, token, leaseMs, backend, parameters.bits, parameters.hashes, expectedItems, falsePositiveRate));
    if (begun !== 1) return { outcome: 'already-running', items: 0, ms: Date.now() - started };

    let items = 0;
    try {
      for await (const batch of source()) {
        for (const ids of chunks(batch.map(String), this.options.batchSize)) {
          const reply = await scripts((s) => s.bloomAdd(keys.bits, keys.meta, keys.next, keys.nextMeta, token, leaseMs, ...ids));
          if (reply === -1) throw new Error(`Bloom filter ${name}: rebuild lost its lease`);
          items += ids.length;
        }
      }
      const swapped = await scripts((s) => s.bloomSwap(keys.bits, keys.meta, keys.next, keys.nextMeta, token));
      if (swapped !== 1) throw new Error(`Bloom filter ${name}: rebuild lost its lease`);
    } catch (error) {
      await scripts((s) => s.bloomAbort(keys.next, keys.nextMeta, token)).catch(() => undefined);
      throw error;
    }
    return { outcome: 'rebuilt', items, ms: Date.now() - started };
  }
}
