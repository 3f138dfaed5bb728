import { performance } from 'node:perf_hooks';
import { trace } from '@opentelemetry/api';
import { logger, withSpan } from '@cachelab/telemetry';
import type { BloomCheck, BloomFilter } from './bloom-filter';
import type { BloomId } from './bloom-rebuild';
import { BLOOM_PATTERN } from './bloom-scripts';

/**
 * Where the ids the filter must learn come from: a durable list of ids committed but perhaps not
 * yet in the filter (an outbox filled in the same transaction as the rows, see services/catalog's
 * PostgresBloomBacklog), and the table itself for the audit.
 */
export interface BloomBacklog {
  /** Up to `limit` waiting ids, in a stable order. Must see every id committed before the call. */
  pending(limit: number): Promise<BloomId[]>;
  /** These ids are in the filter now: forget them. */
  done(ids: readonly BloomId[]): Promise<void>;
  /** How many of `ids` are still waiting. */
  waiting(ids: readonly BloomId[]): Promise<number>;
  /** Ids that exist and are NOT waiting (so must be in the filter): the newest `newest`, and `random` more at random. */
  auditSample(newest: number, random: number): Promise<BloomId[]>;
  /** Start telling `listener` when ids may be waiting (`changed`) and whether that channel is up (`live`). */
  watch(listener: BacklogListener): Promise<void>;
  close(): Promise<void>;
}

export interface BacklogListener {
  changed(): void;
  live(up: boolean): void;
}

export interface BloomCoverageOptions {
  /** A drain pass at least this often (and at once on a notification). Default 1,000 ms. */
  drainEveryMs?: number;
  /**
   * "No" is trusted only while the last successful drain pass STARTED less than this long ago
   * (and notifications are live). Must exceed drainEveryMs. Default 2,500 ms.
   */
  staleAfterMs?: number;
  /** The audit, and the check for a rebuild that is due. Default 60,000 ms. */
  auditEveryMs?: number;
  /** Ids checked by each audit: the newest, and a random sample. Default 100 and 100. */
  auditNewest?: number;
  auditRandom?: number;
  /** Rebuild (leased: one instance does it) when the live filter is older than this. */
  maxAgeMs?: number;
  /** Ids per backlog read. Default 1,000. */
  batchSize?: number;
  /**
   * How long `created` waits for other instances to drain ids it could not add itself. Default
   * staleAfterMs + drainEveryMs + 500 ms; never less than staleAfterMs (see `created`).
   */
  createWaitMs?: number;
}

/**
 * The states of an instance's coverage, with the one question that matters: may a "no" from the
 * filter be answered as "absent"?
 *
 *   starting   no drain pass has succeeded yet                                  no: bypass
 *   covered    the last successful pass started < staleAfterMs ago, and the
 *              notification channel is up                                     yes: negative
 *   lagging    passes fail (Redis, Postgres), are overdue, or notifications are down   no
 *   unsound    the audit found an existing id the filter says "no" to (bits lost
 *              to a failover, a restored snapshot): rebuilding                  no
 *   stopped    closed                                                           no
 */
export type CoverageState = 'starting' | 'covered' | 'lagging' | 'unsound' | 'stopped';

/** Every way the state changes, in one place: event -> (state -> next state). */
const TRANSITIONS: Record<string, (from: CoverageState, listening: boolean) => CoverageState> = {
  'drain-succeeded': (from, listening) => (from === 'unsound' || from === 'stopped' ? from : listening ? 'covered' : 'lagging'),
  'drain-failed': (from) => (from === 'covered' ? 'lagging' : from),
  'drain-overdue': (from) => (from === 'covered' ? 'lagging' : from),
  'channel-down': (from) => (from === 'covered' ? 'lagging' : from),
  'audit-failed': (from) => (from === 'stopped' ? from : 'unsound'),
  'audit-passed': (from) => (from === 'unsound' ? 'lagging' : from),
  stopped: () => 'stopped',
};
export type CoverageEvent = keyof typeof TRANSITIONS;

export interface DrainReport {
  ids: number;
}

export interface AuditReport {
  checked: number;
  /** Existing, drained ids the filter answered "no" for. */
  missing: BloomId[];
}

export type CreatedOutcome = 'added' | 'not-built' | 'drained-elsewhere' | 'timed-out';

/**
 * Keeps a Bloom filter covering every id in the database, in every instance, and says when it
 * does (the filter itself is bloom-filter.ts):
 *
 *   drain    on a notification, every drainEveryMs, and once at start: read the backlog in
 *            batches, add the ids, delete what was added (an add that failed stays in the backlog)
 *   audit    every auditEveryMs and at start: the newest and some random drained ids must all be
 *            "maybe"; a "no" means lost bits: rebuild
 *   renew    every auditEveryMs: rebuild (leased) when the filter is older than maxAgeMs
 *   created  after a commit, before the 201: add the new ids ourselves; if that fails, wait until
 *            another instance drained them (see docs/patterns/bloom-filter.md for why that is exact)
 *
 * Several instances drain the same backlog concurrently and may add the same id twice: adds are
 * idempotent. They must NOT skip rows another instance is draining (no SKIP LOCKED): a pass that
 * skipped an id could succeed without it while the other instance's add fails.
 */
export class BloomCoverage {
  private current: CoverageState = 'starting';
  private listening = false;
  /** performance.now() at the start of the last pass that succeeded. */
  private lastPassStartedAt = Number.NEGATIVE_INFINITY;
  private running: Promise<void> | undefined;
  private again = false;
  private timers: NodeJS.Timeout[] = [];
  private readonly options: Required<BloomCoverageOptions>;
  private readonly listeners = new Set<(state: CoverageState, event: CoverageEvent) => void>();

  constructor(
    readonly filter: BloomFilter,
    private readonly backlog: BloomBacklog,
    options: BloomCoverageOptions = {},
  ) {
    const drainEveryMs = options.drainEveryMs ?? 1_000;
    const staleAfterMs = options.staleAfterMs ?? 2_500;
    if (staleAfterMs <= drainEveryMs) throw new RangeError(`staleAfterMs (${staleAfterMs}) must exceed drainEveryMs (${drainEveryMs})`);
    const createWaitMs = Math.max(options.createWaitMs ?? staleAfterMs + drainEveryMs + 500, staleAfterMs + 1);
    this.options = {
      drainEveryMs,
      staleAfterMs,
      createWaitMs,
      auditEveryMs: options.auditEveryMs ?? 60_000,
      auditNewest: options.auditNewest ?? 100,
      auditRandom: options.auditRandom ?? 100,
      maxAgeMs: options.maxAgeMs ?? 86_400_000,
      batchSize: options.batchSize ?? 1_000,
    };
  }

  get state(): CoverageState {
    return this.current;
  }

  /** The longest `created` waits for another instance (> staleAfterMs). */
  get createWaitMs(): number {
    return this.options.createWaitMs;
  }

  onTransition(listener: (state: CoverageState, event: CoverageEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Rebuild if due, subscribe, drain, audit, then keep doing so on timers. Never throws. */
  async start(): Promise<void> {
    await this.renew();
    await this.backlog
      .watch({ changed: () => this.requestDrain(), live: (up) => this.channel(up) })
      .catch((error: unknown) => logger.warn({ err: error, filter: this.filter.name }, 'Bloom backlog notifications not live yet'));
    await this.drain();
    await this.audit();
    this.timers.push(
      setInterval(() => {
        this.trustsNegatives(); // notices an overdue pass even when nobody reads
        void this.drain();
        if (this.current === 'unsound') void this.audit(); // until a rebuild made it sound
      }, this.options.drainEveryMs).unref(),
      setInterval(() => void this.audit().then(() => this.renew()), this.options.auditEveryMs).unref(),
    );
  }

  /** May a "no" from the filter be answered as "absent", now? */
  trustsNegatives(): boolean {
    if (this.current === 'covered' && performance.now() - this.lastPassStartedAt >= this.options.staleAfterMs) this.fire('drain-overdue');
    return this.current === 'covered';
  }

  /** The filter's answer, with a "no" downgraded to bypass unless this instance is covered. */
  check(id: BloomId): Promise<BloomCheck> {
    return this.filter.check(id, () => this.trustsNegatives());
  }

  /**
   * After the commit that created `ids`, before acknowledging it. Adds them; if this instance
   * cannot reach Redis, waits until another instance drained them from the backlog, at most
   * createWaitMs. Either way, once this returns no instance can answer "absent" for them: an
   * instance that says "no" is covered, so its last successful pass started less than
   * staleAfterMs < createWaitMs ago, after the commit; that pass read the ids and added them.
   */
  created(ids: readonly BloomId[]): Promise<CreatedOutcome> {
    return withSpan('bloom.created', { 'cache.pattern': BLOOM_PATTERN, 'bloom.ids': ids.length }, async (span) => {
      const outcome = await this.settle(ids);
      span.setAttribute('cache.result', outcome);
      return outcome;
    });
  }

  /** One pass now (or right after the running one, which may have started before the caller's commit). */
  drain(): Promise<void> {
    this.requestDrain();
    return this.running ?? Promise.resolve();
  }

  audit(afterRebuild = false): Promise<AuditReport> {
    return withSpan('bloom.audit', { 'cache.pattern': BLOOM_PATTERN, 'cache.key': this.filter.key }, async (span) => {
      try {
        const ids = await this.backlog.auditSample(this.options.auditNewest, this.options.auditRandom);
        const answers = await this.filter.mightContainMany(ids);
        const missing = ids.filter((_, i) => !answers[i]);
        span.setAttributes({ 'bloom.ids': ids.length, 'bloom.missing': missing.length, 'cache.result': missing.length > 0 ? 'unsound' : 'sound' });
        if (missing.length === 0) {
          this.fire('audit-passed');
        } else {
          logger.warn({ filter: this.filter.name, missing: missing.slice(0, 10), count: missing.length }, 'Bloom filter lost ids: rebuilding');
          this.fire('audit-failed');
          const rebuilt = await this.filter.rebuild().catch((error: unknown) => {
            logger.warn({ err: error, filter: this.filter.name }, 'Bloom filter rebuild failed');
            return undefined;
          });
          // Another instance may hold the rebuild lease: the next tick audits again.
          if (rebuilt?.outcome === 'rebuilt' && !afterRebuild) await this.audit(true);
        }
        return { checked: ids.length, missing };
      } catch (error) {
        span.setAttribute('cache.result', 'error');
        logger.warn({ err: error, filter: this.filter.name }, 'Bloom filter audit failed');
        return { checked: 0, missing: [] };
      }
    });
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    this.fire('stopped');
    await this.running?.catch(() => undefined);
    await this.backlog.close();
  }

  private async settle(ids: readonly BloomId[]): Promise<CreatedOutcome> {
    if (ids.length === 0) return 'added';
    const added = await this.filter.addMany(ids);
    if (added !== 'failed') {
      // Best effort: a row left behind is drained (again) by the next pass.
      await this.backlog.done(ids).catch((error: unknown) => logger.warn({ err: error, filter: this.filter.name }, 'Bloom backlog delete failed'));
      return added;
    }
    const deadline = performance.now() + this.options.createWaitMs;
    while (performance.now() < deadline) {
      const left = await this.backlog.waiting(ids).catch(() => ids.length);
      if (left === 0) return 'drained-elsewhere';
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return 'timed-out';
  }

  private requestDrain(): void {
    if (this.current === 'stopped') return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.passes().finally(() => (this.running = undefined));
  }

  private async passes(): Promise<void> {
    do {
      this.again = false;
      await this.pass();
    } while (this.again && this.current !== 'stopped');
  }

  private pass(): Promise<void> {
    const started = performance.now();
    return withSpan('bloom.drain', { 'cache.pattern': BLOOM_PATTERN, 'cache.key': this.filter.key }, async (span) => {
      try {
        const { ids } = await drainBacklog(this.filter, this.backlog, this.options.batchSize);
        this.lastPassStartedAt = Math.max(this.lastPassStartedAt, started);
        span.setAttributes({ 'bloom.ids': ids, 'cache.result': ids > 0 ? 'drained' : 'empty' });
        this.fire('drain-succeeded');
      } catch (error) {
        span.setAttribute('cache.result', 'error');
        logger.debug({ err: error, filter: this.filter.name }, 'Bloom backlog drain failed');
        this.fire('drain-failed');
      }
    });
  }

  private channel(up: boolean): void {
    this.listening = up;
    if (up) this.requestDrain(); // what was committed while we were deaf
    else this.fire('channel-down');
  }

  private async renew(): Promise<void> {
    try {
      const report = await this.filter.ensureBuilt(undefined, { maxAgeMs: this.options.maxAgeMs });
      if (report.outcome === 'rebuilt') logger.info({ filter: this.filter.name, ...report }, 'Bloom filter rebuilt');
    } catch (error) {
      // Until built, checks answer "maybe"; the next audit tick tries again.
      logger.warn({ err: error, filter: this.filter.name }, 'could not build the Bloom filter now; reads go on without it');
    }
  }

  private fire(event: CoverageEvent): void {
    const from = this.current;
    const to = TRANSITIONS[event]!(from, this.listening);
    if (to === from) return;
    this.current = to;
    logger.info({ filter: this.filter.name, from, to, event }, 'Bloom coverage state');
    trace.getActiveSpan()?.addEvent('bloom.coverage', { 'bloom.coverage.from': from, 'bloom.coverage.to': to, 'bloom.coverage.event': event });
    for (const listener of this.listeners) listener(to, event);
  }
}

/**
 * One drain: read the backlog in batches until it is empty, add each batch, then forget it.
 * Throws when an add fails (those ids stay in the backlog). Also what a seed script calls before
 * it exits, so that its rows are known before any service looks.
 */
export async function drainBacklog(filter: BloomFilter, backlog: BloomBacklog, batchSize = 1_000): Promise<DrainReport> {
  let ids = 0;
  for (;;) {
    const batch = await backlog.pending(batchSize);
    if (batch.length === 0) break;
    // not-built: there is no live filter; the rebuild that makes one reads these rows from the table.
    if ((await filter.addMany(batch)) === 'failed') throw new Error(`Bloom filter ${filter.name}: could not add ${batch.length} ids`);
    await backlog.done(batch);
    ids += batch.length;
    if (batch.length < batchSize) break;
  }
  return { ids };
}
