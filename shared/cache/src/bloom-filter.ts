import { randomUUID } from 'node:crypto';
import { cacheRequests, cacheWriteFailures, logger, withSpan } from '@cachelab/telemetry';
import { detectBloomBackend, type BloomBackend } from './bloom-backend';
import { bloomParameters, expectedFalsePositiveRate, type BloomParameters } from './bloom-math';
import { CacheUnavailableError } from './circuit-breaker';
import { entityKey } from './keys';
import { SingleFlight } from './single-flight';
import type { CacheRedis, CacheStore } from './store';
import type { CacheResult } from './types';

export type BloomId = string | number;
/** Every id that exists, in batches, read from the database when called (see `rebuild`). */
export type BloomIdSource = () => AsyncIterable<readonly BloomId[]> | Iterable<readonly BloomId[]>;

export interface BloomFilterOptions {
  /** Names the filter's keys: `bloom:{<name>}:bits`, `:meta`, `:next`, `:next-meta` (one hash tag, one slot). */
  name: string;
  /** n: how many ids the filter is sized for. Past it, the false-positive rate climbs: rebuild bigger. */
  expectedItems: number;
  /** p: the false-positive rate wanted at `expectedItems` ids, e.g. 0.01. */
  falsePositiveRate: number;
  /** Where to read every id from. With it, a filter found missing is rebuilt in the background. */
  source?: BloomIdSource;
  /** 'auto' (default) uses RedisBloom when the server has it, else the Lua bitmap. */
  backend?: 'auto' | BloomBackend;
  /** Ids per script call. One script blocks Redis while it runs: keep each call to a few ms. */
  batchSize?: number;
  /** How long a rebuild may go between two batches before another instance may take over. */
  rebuildLeaseMs?: number;
  /** Retry period for adds that could not reach Redis. */
  retryEveryMs?: number;
}

export type BloomAddOutcome = 'added' | 'not-built' | 'deferred';

export interface BloomCheck {
  /** false: the id was certainly never added. true: maybe (go and look). */
  maybe: boolean;
  /** negative: answered "no" by the filter; miss: "maybe"; bypass: the filter could not answer. */
  result: Extract<CacheResult, 'negative' | 'miss' | 'bypass'>;
}

export interface BloomRebuild {
  outcome: 'rebuilt' | 'already-running' | 'present';
  /** Ids read from the source. */
  items: number;
  ms: number;
}

export interface BloomStats {
  backend: BloomBackend;
  bits: number;
  hashes: number;
  capacity: number;
  errorRate: number;
  /** Ids that set at least one new bit: a close lower bound of the distinct ids added. */
  inserted: number;
  builtAt: number | null;
  /** Memory of the bits: the bitmap's length, or the native filter's size. */
  bytes: number;
}

export interface FalsePositiveReport {
  sampleSize: number;
  falsePositives: number;
  measured: number;
  /** The rate the live filter was built for. */
  configured: number;
  /** The rate theory predicts at the filter's current fill. */
  expected: number;
}

interface BloomScripts {
  bloomAdd(bits: string, meta: string, next: string, nextMeta: string, token: string, leaseMs: number, ...ids: string[]): Promise<number>;
  bloomCheck(bits: string, meta: string, ...ids: string[]): Promise<number[] | number>;
  bloomBegin(next: string, nextMeta: string, token: string, leaseMs: number, backend: BloomBackend, bits: number, hashes: number, capacity: number, errorRate: number): Promise<number>;
  bloomSwap(bits: string, meta: string, next: string, nextMeta: string, token: string): Promise<number>;
  bloomAbort(next: string, nextMeta: string, token: string): Promise<number>;
  bloomStats(bits: string, meta: string): Promise<(string | null)[]>;
}
const scripts = (redis: CacheRedis) => redis as unknown as BloomScripts;

const PATTERN = 'bloom-filter';
const HEAL_EVERY_MS = 10_000;

function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/**
 * A Bloom filter of the ids that exist, so that lookups of ids that never existed are answered
 * "no" without touching cached values or the database (a scan of random ids cannot hammer
 * either). It answers "certainly not" or "maybe", never a wrong "no" for an id that was added.
 *
 *   check(id)      filter says no ──────────────────────────────► absent   (x-cache: negative)
 *                  filter says maybe ───────────────────────────► go on    (miss)
 *                  Redis down, filter missing or not built ─────► go on    (bypass: fail open)
 *   add(id)        after the id's database commit; kept and retried while Redis is unreachable
 *   rebuild(src)   fill a new filter from the database, then swap it in atomically
 *
 * Ids are never removed (a Bloom filter cannot unset bits another id shares): a deleted product
 * stays "maybe" and its lookup takes the normal path, which answers 404. Safe, only slower; a
 * rebuild drops deleted ids and resizes the filter.
 */
export class BloomFilter {
  readonly parameters: BloomParameters;
  private readonly keys: { bits: string; meta: string; next: string; nextMeta: string };
  private readonly batchSize: number;
  private readonly leaseMs: number;
  /** Ids whose add did not reach Redis: answered "maybe" here and retried until they land. */
  private readonly pending = new Set<string>();
  private readonly rebuilds = new SingleFlight();
  private retryTimer: NodeJS.Timeout | undefined;
  private lastHeal = 0;

  private constructor(
    private readonly store: CacheStore,
    private readonly options: BloomFilterOptions,
  ) {
    this.parameters = bloomParameters(options.expectedItems, options.falsePositiveRate);
    this.keys = {
      bits: entityKey('bloom', options.name, 'bits'),
      meta: entityKey('bloom', options.name, 'meta'),
      next: entityKey('bloom', options.name, 'next'),
      nextMeta: entityKey('bloom', options.name, 'next-meta'),
    };
    this.batchSize = options.batchSize ?? 500;
    this.leaseMs = options.rebuildLeaseMs ?? 30_000;
  }

  /** Sizes the filter (throws a RangeError past 512 MB). Reaches no server: call `ensureBuilt` next. */
  static create(store: CacheStore, options: BloomFilterOptions): BloomFilter {
    return new BloomFilter(store, options);
  }

  get key(): string {
    return this.keys.bits;
  }

  /** Call after the id's database commit, and before answering the request that created it. */
  add(id: BloomId): Promise<BloomAddOutcome> {
    return this.addMany([id]);
  }

  /** Adds in batches of `batchSize` (bulk imports). */
  addMany(ids: Iterable<BloomId>): Promise<BloomAddOutcome> {
    const all = [...ids].map(String);
    return withSpan('bloom.add', { 'cache.pattern': PATTERN, 'cache.key': this.keys.bits, 'bloom.ids': all.length }, async (span) => {
      const outcome = await this.tryAdd(all);
      if (outcome === 'deferred') this.defer(all);
      span.setAttribute('cache.result', outcome);
      return outcome;
    });
  }

  async mightContain(id: BloomId): Promise<boolean> {
    return (await this.check(id)).maybe;
  }

  /** One answer per id, `batchSize` ids per script call; all "maybe" when the filter cannot answer. */
  async mightContainMany(ids: readonly BloomId[]): Promise<boolean[]> {
    const members = ids.map(String);
    if (this.store.unavailable) return members.map(() => true);
    const answers: boolean[] = [];
    try {
      for (const batch of chunks(members, this.batchSize)) {
        const reply = await this.store.run((redis) => scripts(redis).bloomCheck(this.keys.bits, this.keys.meta, ...batch));
        if (!Array.isArray(reply)) {
          this.heal();
          return members.map(() => true);
        }
        answers.push(...reply.map((answer, i) => answer === 1 || this.pending.has(batch[i]!)));
      }
    } catch (error) {
      if (!(error instanceof CacheUnavailableError)) logger.warn({ err: error, filter: this.options.name }, 'Bloom filter check failed');
      return members.map(() => true);
    }
    return answers;
  }

  check(id: BloomId): Promise<BloomCheck> {
    const member = String(id);
    return withSpan('bloom.check', { 'cache.pattern': PATTERN, 'cache.key': this.keys.bits }, async (span) => {
      const answer = await this.answer(member);
      span.setAttribute('cache.result', answer.result);
      cacheRequests.inc({ pattern: PATTERN, result: answer.result });
      return answer;
    });
  }

  /**
   * Builds a new filter from `source` and swaps it in, bits and parameters in one step. Adds made
   * meanwhile go to both filters, so nothing created during the rebuild is lost; `source` must
   * read the database after this call started (pass a function, not a list made earlier). One
   * rebuild at a time across instances: the others answer 'already-running'.
   */
  rebuild(source: BloomIdSource | undefined = this.options.source): Promise<BloomRebuild> {
    if (!source) return Promise.reject(new Error(`Bloom filter ${this.options.name}: rebuild needs an id source`));
    return withSpan('bloom.rebuild', { 'cache.pattern': PATTERN, 'cache.key': this.keys.bits }, async (span) => {
      const { value } = await this.rebuilds.do('rebuild', () => this.runRebuild(source));
      span.setAttributes({ 'cache.result': value.outcome, 'bloom.items': value.items });
      return value;
    });
  }

  /**
   * At startup: rebuild when the filter is missing, was sized for other parameters, or is older
   * than `maxAgeMs` (a periodic rebuild forgets deleted ids and repairs adds lost to a crash).
   */
  async ensureBuilt(source: BloomIdSource | undefined = this.options.source, { maxAgeMs }: { maxAgeMs?: number } = {}): Promise<BloomRebuild> {
    const stats = await this.stats();
    const sized = stats && stats.capacity === this.options.expectedItems && stats.errorRate === this.options.falsePositiveRate;
    const fresh = stats && (maxAgeMs === undefined || (stats.builtAt !== null && Date.now() - stats.builtAt < maxAgeMs));
    if (sized && fresh) return { outcome: 'present', items: 0, ms: 0 };
    return this.rebuild(source);
  }

  /** The live filter's parameters and memory; null when it has not been built. */
  async stats(): Promise<BloomStats | null> {
    const reply = await this.store.run((redis) => scripts(redis).bloomStats(this.keys.bits, this.keys.meta));
    if (reply.length === 0) return null;
    const [backend, bits, hashes, capacity, errorRate, inserted, builtAt, bytes] = reply;
    return {
      backend: backend as BloomBackend,
      bits: Number(bits),
      hashes: Number(hashes),
      capacity: Number(capacity),
      errorRate: Number(errorRate),
      inserted: Number(inserted ?? 0),
      builtAt: builtAt ? Number(builtAt) : null,
      bytes: Number(bytes),
    };
  }

  /**
   * Asks the live filter about `sampleSize` ids that were never added (a random prefix no real id
   * carries) and counts the "maybe" answers.
   */
  async measureFalsePositiveRate(sampleSize = 10_000): Promise<FalsePositiveReport> {
    const stats = await this.stats();
    if (!stats) throw new Error(`Bloom filter ${this.options.name} is not built`);
    const prefix = `fp-probe:${randomUUID()}:`;
    const probes = Array.from({ length: sampleSize }, (_, i) => `${prefix}${i}`);
    let falsePositives = 0;
    for (const batch of chunks(probes, this.batchSize)) {
      const answers = await this.store.run((redis) => scripts(redis).bloomCheck(this.keys.bits, this.keys.meta, ...batch));
      if (!Array.isArray(answers)) throw new Error(`Bloom filter ${this.options.name} is not built`);
      falsePositives += answers.reduce((sum, answer) => sum + answer, 0);
    }
    return {
      sampleSize,
      falsePositives,
      measured: falsePositives / sampleSize,
      configured: stats.errorRate,
      expected: expectedFalsePositiveRate(stats.bits, stats.hashes, stats.inserted),
    };
  }

  /** Ids still waiting to reach Redis. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Retries pending adds once; true when none is left. */
  async flush(): Promise<boolean> {
    if (this.pending.size > 0) {
      const ids = [...this.pending];
      if ((await this.tryAdd(ids)) !== 'deferred') for (const id of ids) this.pending.delete(id);
    }
    if (this.pending.size === 0) this.stopRetrying();
    return this.pending.size === 0;
  }

  close(): void {
    this.stopRetrying();
  }

  private async answer(member: string): Promise<BloomCheck> {
    if (this.pending.has(member)) return { maybe: true, result: 'miss' };
    if (this.store.unavailable) return { maybe: true, result: 'bypass' };
    let reply: number[] | number;
    try {
      reply = await this.store.run((redis) => scripts(redis).bloomCheck(this.keys.bits, this.keys.meta, member));
    } catch (error) {
      // Fail open: a filter that cannot answer must not turn existing products into 404s.
      if (!(error instanceof CacheUnavailableError)) logger.warn({ err: error, filter: this.options.name }, 'Bloom filter check failed');
      return { maybe: true, result: 'bypass' };
    }
    if (!Array.isArray(reply)) {
      this.heal();
      return { maybe: true, result: 'bypass' };
    }
    return reply[0] === 1 ? { maybe: true, result: 'miss' } : { maybe: false, result: 'negative' };
  }

  private async tryAdd(ids: string[]): Promise<BloomAddOutcome> {
    let built = true;
    try {
      for (const batch of chunks(ids, this.batchSize)) {
        const reply = await this.store.run((redis) =>
          scripts(redis).bloomAdd(this.keys.bits, this.keys.meta, this.keys.next, this.keys.nextMeta, '', this.leaseMs, ...batch),
        );
        if (reply === -1) built = false;
      }
      return built ? 'added' : 'not-built';
    } catch (error) {
      if (!(error instanceof CacheUnavailableError)) logger.warn({ err: error, filter: this.options.name }, 'Bloom filter add failed');
      return 'deferred';
    }
  }

  /**
   * An id missing from the filter would be answered "absent" by every instance, so a failed add is
   * never dropped: it is retried until it lands (no expiry, unlike an invalidation), and this
   * instance answers "maybe" for it meanwhile. A crash loses the retry; a periodic rebuild
   * (`ensureBuilt` with `maxAgeMs`) repairs that.
   */
  private defer(ids: string[]): void {
    cacheWriteFailures.inc({ pattern: PATTERN }, ids.length);
    for (const id of ids) this.pending.add(id);
    this.retryTimer ??= setInterval(() => void this.flush(), this.options.retryEveryMs ?? 250).unref();
  }

  private stopRetrying(): void {
    if (this.retryTimer) clearInterval(this.retryTimer);
    this.retryTimer = undefined;
  }

  /** The filter is missing (never built, or lost with Redis's data): rebuild it if we know how. */
  private heal(): void {
    if (!this.options.source || Date.now() - this.lastHeal < HEAL_EVERY_MS) return;
    this.lastHeal = Date.now();
    this.rebuild().then(
      (report) => logger.info({ filter: this.options.name, ...report }, 'Bloom filter was missing: rebuilt'),
      (error: unknown) => logger.warn({ err: error, filter: this.options.name }, 'Bloom filter rebuild failed'),
    );
  }

  private async runRebuild(source: BloomIdSource): Promise<BloomRebuild> {
    const started = Date.now();
    const backend = this.options.backend && this.options.backend !== 'auto' ? this.options.backend : await detectBloomBackend(this.store);
    const { next, nextMeta } = this.keys;
    const token = randomUUID();
    const { bits, hashes } = this.parameters;
    const { expectedItems, falsePositiveRate } = this.options;
    const begun = await this.store.run((redis) =>
      scripts(redis).bloomBegin(next, nextMeta, token, this.leaseMs, backend, bits, hashes, expectedItems, falsePositiveRate),
    );
    if (begun !== 1) return { outcome: 'already-running', items: 0, ms: Date.now() - started };

    let items = 0;
    try {
      for await (const batch of source()) {
        for (const ids of chunks(batch.map(String), this.batchSize)) {
          const reply = await this.store.run((redis) =>
            scripts(redis).bloomAdd(this.keys.bits, this.keys.meta, next, nextMeta, token, this.leaseMs, ...ids),
          );
          if (reply === -1) throw new Error(`Bloom filter ${this.options.name}: rebuild lost its lease`);
          items += ids.length;
        }
      }
      const swapped = await this.store.run((redis) => scripts(redis).bloomSwap(this.keys.bits, this.keys.meta, next, nextMeta, token));
      if (swapped !== 1) throw new Error(`Bloom filter ${this.options.name}: rebuild lost its lease`);
    } catch (error) {
      await this.store.run((redis) => scripts(redis).bloomAbort(next, nextMeta, token)).catch(() => undefined);
      throw error;
    }
    return { outcome: 'rebuilt', items, ms: Date.now() - started };
  }
}
