import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { RedisConnectionConfig } from '@cachelab/redis';
import type { SpanContext } from '@opentelemetry/api';
import { CacheAttributes as A, cacheOperationDuration, cacheRequests, cacheWriteFailures, withSpan } from '@cachelab/telemetry';
import { entityKey } from './keys';
import { linkToLeader } from './leader-link';
import { InvalidationChannel, type ChannelTransport } from './near-cache-channel';
import { decodeMessage, encodeMessage, type NearCacheMessage } from './near-cache-messages';
import type { CacheStore } from './store';
import type { CacheRead } from './types';

export interface NearCacheOptions {
  /** Instances with the same name share invalidations (channel `nearcache:{<name>}:invalidations`). */
  name: string;
  /** The Redis `store` talks to: the subscriber needs a connection of its own. */
  redis: RedisConnectionConfig;
  /** LRU bound: the least recently used entry goes first. */
  maxEntries: number;
  /**
   * How long an entry may be served from memory, counted from when it was loaded (reads do not
   * extend it). This bounds staleness when an invalidation is lost without the subscription
   * looking broken (its publisher could not reach Redis).
   */
  ttlMs: number;
  /** Each instance publishes a heartbeat this often and expects to receive it back. */
  heartbeatMs?: number;
  /** No own heartbeat received for this long: the subscription has lapsed. Default 3 x heartbeatMs. */
  heartbeatTimeoutMs?: number;
  /** Still no heartbeat back after this long: start a fresh subscriber connection. */
  resubscribeAfterMs?: number;
  /** `create` waits at most this long for the subscription to be proven live (default 5 s). */
  readyTimeoutMs?: number;
  /** Reported as `cache.pattern`. */
  pattern?: string;
  /** Names this instance in its messages; random by default. */
  instanceId?: string;
}

/** hit: served from memory. miss: loaded, and kept unless invalidated meanwhile. bypass: not live. */
export type NearResult = 'hit' | 'miss' | 'bypass';

/** `result` is the inner read's (Redis-level) result, or `hit` when memory answered. */
export interface NearRead<T> extends CacheRead<T> {
  near: NearResult;
}

export interface NearCacheStats {
  live: boolean;
  transport: ChannelTransport;
  size: number;
  hits: number;
  misses: number;
  bypasses: number;
  invalidationsReceived: number;
  ownMessagesIgnored: number;
  lapses: number;
  pendingInvalidations: number;
}

interface NearCacheEvents {
  /** Another instance's invalidation arrived `delayMs` after it was published. */
  invalidated: [keys: readonly string[] | 'all', info: { from: string; delayMs: number }];
  lapsed: [reason: string];
  live: [];
}

interface Flight<T> {
  promise: Promise<CacheRead<T>>;
  invalidated: boolean;
  epoch: number;
  /** The leader's `near-cache.get` span: followers link to it. */
  leader: SpanContext;
}

type Key = string | number;

/** Keys per invalidation message, so that one message stays small. */
const KEYS_PER_MESSAGE = 500;

/**
 * Near cache: an in-process LRU in front of the Redis-level cache, for the hottest entries.
 * Reads it answers cost no network round trip at all. Coherence across instances comes from
 * invalidation messages over Redis pub/sub (sharded on a Cluster):
 *
 *   getOrLoad(k, load)   live and in memory ──────────────────────► value          near: hit
 *                        live, not in memory ──► load() (Redis-level) ► value, kept near: miss
 *                        subscription not proven live ─► load() ─────► value, not kept  near: bypass
 *   invalidate(k)        drop locally, publish { from, keys }; others drop it on receipt
 *
 * Pub/sub is fire-and-forget: a subscriber that is disconnected misses messages for good. So the
 * cache only serves while its subscription is proven live by its own heartbeat coming back;
 * on any sign of a lapse (connection closed, failover, heartbeat overdue) it empties itself and
 * serves nothing until a heartbeat sent after the lapse returns. Staleness is then bounded by
 *   - the message delivery time (milliseconds) while everything works,
 *   - heartbeatTimeoutMs when the subscription dies silently,
 *   - ttlMs when a publisher cannot reach Redis (it retries the publish meanwhile).
 */
export class NearCache<T extends {}> extends EventEmitter<NearCacheEvents> {
  readonly instanceId: string;
  private readonly lru: LRUCache<string, T>;
  private readonly flights = new Map<string, Flight<T>>();
  private readonly pattern: string;
  private readonly heartbeatMs: number;
  private readonly heartbeatTimeoutMs: number;
  private readonly resubscribeAfterMs: number;
  private readonly timer: NodeJS.Timeout;
  /** Invalidations that could not be published: key -> give up after (every copy has expired by then). */
  private readonly unpublished = new Map<string, number>();
  private unpublishedAll = 0;
  private live = false;
  /** Bumped whenever everything is dropped: loads started before cannot store their result. */
  private epoch = 0;
  private beatSeq = 0;
  private lapseBeat = 0;
  private lastBeatSeenAt = 0;
  private lastBeatSentAt = 0;
  private notLiveSince = Date.now();
  private beating = false;
  /** Whether the last heartbeat reached Redis: if not, the subscriber is not what is broken. */
  private lastBeatPublished = false;
  private flushing = false;
  private readonly counts = { hits: 0, misses: 0, bypasses: 0, invalidationsReceived: 0, ownMessagesIgnored: 0, lapses: 0 };

  private constructor(
    private readonly channel: InvalidationChannel,
    private readonly options: NearCacheOptions,
  ) {
    super();
    this.instanceId = options.instanceId ?? randomUUID();
    this.pattern = options.pattern ?? 'near-cache';
    this.heartbeatMs = options.heartbeatMs ?? 1000;
    this.heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 3 * this.heartbeatMs;
    this.resubscribeAfterMs = options.resubscribeAfterMs ?? Math.max(10_000, 2 * this.heartbeatTimeoutMs);
    this.lru = new LRUCache<string, T>({ max: options.maxEntries, ttl: options.ttlMs, updateAgeOnGet: false });
    channel.on('message', (payload) => this.onMessage(payload));
    channel.on('lapse', (reason) => this.lapse(reason));
    this.timer = setInterval(() => this.tick(), Math.max(10, Math.round(this.heartbeatMs / 4))).unref();
    this.tick();
  }

  /** Subscribes, then waits up to `readyTimeoutMs` for the first heartbeat; bypasses until then. */
  static async create<T extends {}>(store: CacheStore, options: NearCacheOptions): Promise<NearCache<T>> {
    const channel = await InvalidationChannel.open(store, options.redis, entityKey('nearcache', options.name, 'invalidations'));
    const cache = new NearCache<T>(channel, options);
    await cache.waitUntilLive(options.readyTimeoutMs ?? 5_000);
    return cache;
  }

  get isLive(): boolean {
    return this.live;
  }

  /** Resolves true once the subscription is proven live, false after `timeoutMs`. */
  waitUntilLive(timeoutMs: number): Promise<boolean> {
    if (this.live) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.off('live', onLive);
        resolve(false);
      }, timeoutMs);
      const onLive = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.once('live', onLive);
    });
  }

  /** The value in memory, or undefined (also while bypassing). */
  get(key: Key): T | undefined {
    const value = this.live ? this.lru.get(String(key)) : undefined;
    this.count(!this.live ? 'bypass' : value === undefined ? 'miss' : 'hit');
    return value;
  }

  /**
   * Keeps a value you know is current (say, just written). Prefer `getOrLoad`, which refuses to
   * keep a value whose key was invalidated while it was being loaded. False while bypassing.
   */
  set(key: Key, value: T): boolean {
    if (!this.live) return false;
    this.lru.set(String(key), value);
    return true;
  }

  /**
   * Memory first, then `load` (typically the Redis-level cache's read), with concurrent loads of
   * one key in this process shared. `null` values (not found) are not kept.
   */
  getOrLoad(key: Key, load: () => Promise<CacheRead<T>>): Promise<NearRead<T>> {
    const id = String(key);
    return withSpan('near-cache.get', { 'cache.pattern': this.pattern, 'cache.key': id }, async (span) => {
      const { leader, ...read } = await this.read(id, load, span.spanContext());
      span.setAttributes({ [A.result]: read.near, [A.innerResult]: read.result });
      if (leader) {
        span.setAttribute(A.singleFlight, 'follower');
        linkToLeader(span, leader);
      }
      this.count(read.near);
      return read;
    });
  }

  /**
   * After the write's database commit (and after the Redis-level entry was updated or dropped):
   * drops the keys here and tells every other instance. A publish that cannot reach Redis is
   * retried until it lands or until `ttlMs` has passed, when every copy has expired anyway.
   */
  invalidate(keys: Key | readonly Key[]): Promise<'published' | 'deferred'> {
    const ids = (Array.isArray(keys) ? keys : [keys]).map(String);
    return withSpan('near-cache.invalidate', { [A.pattern]: this.pattern, [A.nearCacheKeys]: ids.length }, async (span) => {
      this.drop(ids);
      const outcome = (await this.publishKeys(ids)) ? 'published' : 'deferred';
      if (outcome === 'deferred') {
        cacheWriteFailures.inc({ pattern: this.pattern });
        const until = Date.now() + this.options.ttlMs;
        for (const id of ids) this.unpublished.set(id, until);
      }
      span.setAttribute('cache.result', outcome);
      return outcome;
    });
  }

  /** Drops everything here and on every instance (after a bulk change). */
  async invalidateAll(): Promise<'published' | 'deferred'> {
    this.dropAll();
    if (await this.publish({ from: this.instanceId, at: Date.now(), all: true })) return 'published';
    cacheWriteFailures.inc({ pattern: this.pattern });
    this.unpublishedAll = Date.now() + this.options.ttlMs;
    return 'deferred';
  }

  stats(): NearCacheStats {
    return {
      live: this.live,
      transport: this.channel.transport,
      size: this.lru.size,
      ...this.counts,
      pendingInvalidations: this.unpublished.size + (this.unpublishedAll ? 1 : 0),
    };
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.live = false;
    this.dropAll();
    await this.channel.close();
  }

  /** `leader` is set on a follower: the span of the read whose load it shared. */
  private async read(id: string, load: () => Promise<CacheRead<T>>, span: SpanContext): Promise<NearRead<T> & { leader?: SpanContext }> {
    if (!this.live) return { ...(await load()), near: 'bypass' };
    const cached = this.lru.get(id);
    if (cached !== undefined) return { value: cached, result: 'hit', near: 'hit' };

    const running = this.flights.get(id);
    if (running) return { value: (await running.promise).value, result: 'coalesced', near: 'miss', leader: running.leader };

    const flight: Flight<T> = { promise: load(), invalidated: false, epoch: this.epoch, leader: span };
    this.flights.set(id, flight);
    try {
      const read = await flight.promise;
      // An invalidation that arrived while loading may concern exactly the value just loaded.
      if (read.value !== null && this.live && !flight.invalidated && flight.epoch === this.epoch) this.lru.set(id, read.value);
      return { ...read, near: 'miss' };
    } finally {
      this.flights.delete(id);
    }
  }

  private drop(ids: readonly string[]): void {
    for (const id of ids) {
      this.lru.delete(id);
      const flight = this.flights.get(id);
      if (flight) flight.invalidated = true;
    }
  }

  private dropAll(): void {
    this.lru.clear();
    this.epoch += 1;
  }

  private onMessage(payload: string): void {
    const message = decodeMessage(payload);
    if (!message) return;
    if ('beat' in message) {
      if (message.from === this.instanceId) this.onOwnBeat(message.beat);
      return;
    }
    if (message.from === this.instanceId) {
      this.counts.ownMessagesIgnored += 1; // dropped locally before publishing
      return;
    }
    const delayMs = Math.max(0, Date.now() - message.at);
    cacheOperationDuration.observe({ pattern: this.pattern, step: 'invalidation-delivery' }, delayMs / 1000);
    this.counts.invalidationsReceived += 1;
    if ('all' in message) this.dropAll();
    else this.drop(message.keys);
    this.emit('invalidated', 'all' in message ? 'all' : message.keys, { from: message.from, delayMs });
  }

  private onOwnBeat(seq: number): void {
    this.lastBeatSeenAt = Date.now();
    // Only a heartbeat sent after the lapse proves the subscription is back: messages published
    // from then on arrive. What was published before may be lost, hence the emptying.
    if (!this.live && seq > this.lapseBeat) {
      this.dropAll();
      this.live = true;
      this.emit('live');
    }
  }

  private lapse(reason: string): void {
    this.lapseBeat = this.beatSeq;
    this.dropAll();
    if (!this.live) return;
    this.live = false;
    this.notLiveSince = Date.now();
    this.counts.lapses += 1;
    this.emit('lapsed', reason);
  }

  private tick(): void {
    const now = Date.now();
    if (this.live && now - this.lastBeatSeenAt > this.heartbeatTimeoutMs) this.lapse('heartbeat overdue');
    if (!this.live && this.lastBeatPublished && now - this.notLiveSince > this.resubscribeAfterMs) {
      this.notLiveSince = now;
      void this.channel.reopen();
    }
    // While not live, probe on every tick so that service resumes soon after the subscription does.
    if (!this.beating && (!this.live || now - this.lastBeatSentAt >= this.heartbeatMs)) void this.beat();
    if (!this.flushing && (this.unpublished.size > 0 || this.unpublishedAll)) void this.flushUnpublished();
  }

  private async beat(): Promise<void> {
    this.beating = true;
    this.lastBeatSentAt = Date.now();
    this.beatSeq += 1;
    this.lastBeatPublished = await this.publish({ from: this.instanceId, at: this.lastBeatSentAt, beat: this.beatSeq });
    this.beating = false;
  }

  private async flushUnpublished(): Promise<void> {
    this.flushing = true;
    const now = Date.now();
    if (this.unpublishedAll && (now >= this.unpublishedAll || (await this.publish({ from: this.instanceId, at: now, all: true })))) {
      this.unpublishedAll = 0;
    }
    for (const [id, until] of this.unpublished) if (now >= until) this.unpublished.delete(id);
    const ids = [...this.unpublished.keys()];
    if (ids.length > 0 && (await this.publishKeys(ids))) for (const id of ids) this.unpublished.delete(id);
    this.flushing = false;
  }

  private async publishKeys(ids: readonly string[]): Promise<boolean> {
    for (let i = 0; i < ids.length; i += KEYS_PER_MESSAGE) {
      const keys = ids.slice(i, i + KEYS_PER_MESSAGE);
      if (!(await this.publish({ from: this.instanceId, at: Date.now(), keys }))) return false;
    }
    return true;
  }

  private async publish(message: NearCacheMessage): Promise<boolean> {
    try {
      await this.channel.publish(encodeMessage(message));
      return true;
    } catch {
      return false;
    }
  }

  private count(result: NearResult): void {
    if (result === 'hit') this.counts.hits += 1;
    else if (result === 'miss') this.counts.misses += 1;
    else this.counts.bypasses += 1;
    cacheRequests.inc({ pattern: this.pattern, result });
  }
}
