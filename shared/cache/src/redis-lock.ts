import { randomUUID } from 'node:crypto';
import type { CacheStore } from './store';

export interface Lock {
  key: string;
  token: string;
}

/**
 * A lease in Redis: `SET key token NX PX ttl`. Only one process across all instances gets it;
 * the TTL frees it if its owner dies; the random token makes sure only the owner releases it
 * (release-lock-1.lua). This is a lease for efficiency (one database load instead of many), not
 * a lock for correctness: if the owner stalls past the TTL a second loader may run, which costs
 * a query but cannot corrupt anything, because write-backs are version-checked.
 */
export class RedisLock {
  constructor(private readonly store: CacheStore) {}

  async tryAcquire(key: string, ttlMs: number): Promise<Lock | null> {
    const token = randomUUID();
    const reply = await this.store.run((redis) => redis.set(key, token, 'PX', ttlMs, 'NX'));
    return reply === 'OK' ? { key, token } : null;
  }

  /** Returns false when the lock had expired and someone else holds it now. */
  async release(lock: Lock): Promise<boolean> {
    try {
      return (await this.store.run((redis) => redis.releaseLock(lock.key, lock.token))) === 1;
    } catch {
      return false; // the TTL will free it
    }
  }
}
