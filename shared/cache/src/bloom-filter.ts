import { cacheRequests, cacheWriteFailures, logger, withSpan } from '@cachelab/telemetry';
import type { BloomBackend } from './bloom-backend';
import { bloomParameters, type BloomParameters } from './bloom-math';
import { BloomRebuilder, type BloomId, type BloomIdSource, type BloomRebuild } from './bloom-rebuild';
import { BLOOM_PATTERN, bloomKeys, bloomScripts, chunks, type BloomKeys } from './bloom-scripts';
import { measureFalsePositiveRate, readBloomStats, type BloomStats, type FalsePositiveReport } from './bloom-stats';
import { CacheUnavailableError } from './circuit-breaker';
import type { CacheStore } from './store';
import type { CacheResult } from './types';

export type { BloomId, BloomIdSource, BloomRebuild } from './bloom-rebuild';
export type { BloomStats, FalsePositiveReport } from './bloom-stats';

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
}

/**
 * added: in the filter. not-built: there is no live filter yet (every check answers "maybe" until
 * a rebuild, which reads the id from the database). failed: Redis could not be reached; the
 * caller must make sure someone else adds it (see BloomCoverage.created).
 */
export type BloomAddOutcome = 'added' | 'not-built' | 'failed';

export interface BloomCheck {
  /** false: the id was certainly never added. true: maybe (go and look). */
  maybe: boolean;
  /**
   * negative: answered "no" by the filter; miss: "maybe"; bypass: the filter could not answer,
   * or said "no" while it could not vouch for covering the database (BloomCoverage).
   */
  result: Extract<CacheResult, 'negative' | 'miss' | 'bypass'>;
}

const HEAL_EVERY_MS = 10_000;
const MAYBE: BloomCheck = { maybe: true, result: 'miss' };
const CANNOT_SAY: BloomCheck = { maybe: true, result: 'bypass' };

/**
 * A Bloom filter of the ids that exist, so that lookups of ids that never existed are answered
 * "no" without touching cached values or the database (a scan of random ids cannot hammer
 * either). It answers "certainly not" or "maybe", never a wrong "no" for an id that was added.
 *
 *   check(id)      filter says no ──────────────────────────────► absent   (x-cache: negative)
 *                  filter says maybe ───────────────────────────► go on    (miss)
 *                  Redis down, filter missing or not built ─────► go on    (bypass: fail open)
 *                  says no, but `trusted()` is false ───────────► go on    (bypass)
 *   add(id)        after the id's database commit ('failed' when Redis is unreachable)
 *   rebuild(src)   fill a new filter from the database, then swap it in (bloom-rebuild.ts)
 *
 * That is the whole filter. Making sure every id that exists HAS been added (ids inserted by
 * other processes, adds that failed, bits lost to a failover) is BloomCoverage's job
 * (bloom-coverage.ts); stats and the false-positive measurement are in bloom-stats.ts.
 *
 * Ids are never removed (a Bloom filter cannot unset bits another id shares): a deleted product
 * stays "maybe" and its lookup takes the normal path, which answers 404. Safe, only slower; a
 * rebuild drops deleted ids and resizes the filter.
 */
export class BloomFilter {
  readonly parameters: BloomParameters;
  readonly keys: BloomKeys;
  private readonly batchSize: number;
  private readonly rebuilder: BloomRebuilder;
  private lastHeal = 0;

  private constructor(
    private readonly store: CacheStore,
    private readonly options: BloomFilterOptions,
  ) {
    this.parameters = bloomParameters(options.expectedItems, options.falsePositiveRate);
    this.keys = bloomKeys(options.name);
    this.batchSize = options.batchSize ?? 500;
    this.rebuilder = new BloomRebuilder(store, {
      name: options.name,
      keys: this.keys,
      parameters: this.parameters,
      expectedItems: options.expectedItems,
      falsePositiveRate: options.falsePositiveRate,
      backend: options.backend ?? 'auto',
      batchSize: this.batchSize,
      leaseMs: options.rebuildLeaseMs ?? 30_000,
    });
  }

  /** Sizes the filter (throws a RangeError past 512 MB). Reaches no server: call `ensureBuilt` next. */
  static create(store: CacheStore, options: BloomFilterOptions): BloomFilter {
    return new BloomFilter(store, options);
  }

  get name(): string {
    return this.options.name;
  }

  get key(): string {
    return this.keys.bits;
  }

  /** Call after the id's database commit, and before answering the request that created it. */
  add(id: BloomId): Promise<BloomAddOutcome> {
    return this.addMany([id]);
  }

  /** Adds in batches of `batchSize` (bulk imports, drains). */
  addMany(ids: Iterable<BloomId>): Promise<BloomAddOutcome> {
    const all = [...ids].map(String);
    return withSpan('bloom.add', { 'cache.pattern': BLOOM_PATTERN, 'cache.key': this.keys.bits, 'bloom.ids': all.length }, async (span) => {
      const outcome = await this.tryAdd(all);
      if (outcome === 'failed') cacheWriteFailures.inc({ pattern: BLOOM_PATTERN }, all.length);
      span.setAttribute('cache.result', outcome);
      return outcome;
    });
  }

  /**
   * "No" or "maybe" for one id. `trusted` is asked when the filter says "no": false turns the
   * answer into a bypass ("maybe"), for a filter that may not hold every id yet.
   */
  check(id: BloomId, trusted: () => boolean = () => true): Promise<BloomCheck> {
    return withSpan('bloom.check', { 'cache.pattern': BLOOM_PATTERN, 'cache.key': this.keys.bits }, async (span) => {
      let answer = await this.answer(String(id));
      if (answer.result === 'negative' && !trusted()) {
        answer = CANNOT_SAY;
        span.setAttribute('bloom.negative_distrusted', true);
      }
      span.setAttribute('cache.result', answer.result);
      cacheRequests.inc({ pattern: BLOOM_PATTERN, result: answer.result });
      return answer;
    });
  }

  async mightContain(id: BloomId): Promise<boolean> {
    return (await this.check(id)).maybe;
  }

  /** One answer per id, `batchSize` ids per script call; all "maybe" when the filter cannot answer. */
  async mightContainMany(ids: readonly BloomId[]): Promise<boolean[]> {
    const members = ids.map(String);
    const answers = await this.ask(members);
    return answers ? answers.map((answer) => answer === 1) : members.map(() => true);
  }

  /** See BloomRebuilder.rebuild. */
  rebuild(source: BloomIdSource | undefined = this.options.source): Promise<BloomRebuild> {
    if (!source) return Promise.reject(new Error(`Bloom filter ${this.options.name}: rebuild needs an id source`));
    return this.rebuilder.rebuild(source);
  }

  /** See BloomRebuilder.ensureBuilt: rebuild when missing, resized or older than `maxAgeMs`. */
  ensureBuilt(source: BloomIdSource | undefined = this.options.source, options: { maxAgeMs?: number } = {}): Promise<BloomRebuild> {
    if (!source) return Promise.reject(new Error(`Bloom filter ${this.options.name}: rebuild needs an id source`));
    return this.rebuilder.ensureBuilt(source, options);
  }

  /** The live filter's parameters and memory; null when it has not been built. */
  stats(): Promise<BloomStats | null> {
    return readBloomStats(this.store, this.keys);
  }

  measureFalsePositiveRate(sampleSize = 10_000): Promise<FalsePositiveReport> {
    return measureFalsePositiveRate(this.store, this.keys, { sampleSize, batchSize: this.batchSize, name: this.options.name });
  }

  /** Nothing to stop any more (adds are no longer retried in memory); kept for callers. */
  close(): void {}

  private async answer(member: string): Promise<BloomCheck> {
    const answers = await this.ask([member]);
    if (!answers) return CANNOT_SAY;
    return answers[0] === 1 ? MAYBE : { maybe: false, result: 'negative' };
  }

  /** 0/1 per id, or undefined when the filter cannot answer (fail open: never a "no" it cannot vouch for). */
  private async ask(members: string[]): Promise<number[] | undefined> {
    if (this.store.unavailable) return undefined;
    const answers: number[] = [];
    try {
      for (const batch of chunks(members, this.batchSize)) {
        const reply = await this.store.run((redis) => bloomScripts(redis).bloomCheck(this.keys.bits, this.keys.meta, ...batch));
        if (!Array.isArray(reply)) {
          this.heal();
          return undefined;
        }
        answers.push(...reply);
      }
    } catch (error) {
      if (!(error instanceof CacheUnavailableError)) logger.warn({ err: error, filter: this.options.name }, 'Bloom filter check failed');
      return undefined;
    }
    return answers;
  }

  private async tryAdd(ids: string[]): Promise<BloomAddOutcome> {
    let built = true;
    try {
      for (const batch of chunks(ids, this.batchSize)) {
        const reply = await this.store.run((redis) =>
          bloomScripts(redis).bloomAdd(this.keys.bits, this.keys.meta, this.keys.next, this.keys.nextMeta, '', 0, ...batch),
        );
        if (reply === -1) built = false;
      }
      return built ? 'added' : 'not-built';
    } catch (error) {
      if (!(error instanceof CacheUnavailableError)) logger.warn({ err: error, filter: this.options.name }, 'Bloom filter add failed');
      return 'failed';
    }
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
}
