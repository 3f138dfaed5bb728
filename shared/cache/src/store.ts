import { join } from 'node:path';
import { defineScripts, type RedisClient, type WithScripts } from '@cachelab/redis';
import { RedisCircuitBreaker, type BreakerOptions } from './circuit-breaker';

/** The Lua scripts in shared/cache/lua, as ioredis commands. */
export interface CacheScripts {
  setIfVersion(entry: string, version: string, seenVersion: string, payload: string, ttlMs: number): Promise<number>;
  invalidate(entry: string, version: string, versionTtlMs: number): Promise<number>;
  releaseLock(lock: string, token: string): Promise<number>;
  slidingWindow(key: string, windowMs: number, limit: number, requestId: string): Promise<[number, number, number]>;
  // write-behind (wb-*.lua): keys first, in the order each script's header lists them
  wbRecord(
    pending: string,
    traces: string,
    pendingOnce: string,
    ranking: string,
    marker: string,
    field: string,
    by: number,
    member: string,
    onceTtlSeconds: number,
    trace: string,
    traceCap: number,
    onceKey: string,
  ): Promise<number>;
  wbRevoke(pending: string, pendingOnce: string, ranking: string, marker: string, field: string, by: number, member: string, onceKey: string): Promise<number>;
  wbClaim(
    pending: string,
    traces: string,
    pendingOnce: string,
    openBatches: string,
    batch: string,
    batchTraces: string,
    batchOnce: string,
    batchId: string,
  ): Promise<string[]>;
  wbAck(openBatches: string, batch: string, batchTraces: string, batchOnce: string, batchId: string): Promise<number>;
}

export type CacheRedis = WithScripts<CacheScripts>;

export const LUA_DIR = join(__dirname, '..', 'lua');

/**
 * One Redis connection (any topology) with the pattern scripts loaded, behind one circuit
 * breaker. Every pattern reaches Redis through `run`, so an outage trips one breaker for all.
 */
export class CacheStore {
  readonly redis: CacheRedis;
  readonly breaker: RedisCircuitBreaker;

  constructor(redis: RedisClient, breaker: BreakerOptions = {}) {
    defineScripts(redis, LUA_DIR);
    this.redis = redis as CacheRedis;
    this.breaker = new RedisCircuitBreaker(breaker);
  }

  run<T>(operation: (redis: CacheRedis) => Promise<T>): Promise<T> {
    return this.breaker.run(() => operation(this.redis));
  }

  /** Skip Redis entirely: the breaker is open. */
  get unavailable(): boolean {
    return this.breaker.isOpen;
  }
}
