import type { BloomBackend } from './bloom-backend';
import { entityKey } from './keys';
import type { CacheRedis } from './store';

/** What a filter is made of in Redis: four keys under one hash tag, so one slot, one script. */
export interface BloomKeys {
  /** The live filter's bits (a bitmap, or a RedisBloom filter). */
  bits: string;
  /** Its parameters: backend bits hashes capacity error_rate inserted built_at. */
  meta: string;
  /** The filter a rebuild is filling, and its parameters (which also hold the rebuild's lease). */
  next: string;
  nextMeta: string;
}

export const bloomKeys = (name: string): BloomKeys => ({
  bits: entityKey('bloom', name, 'bits'),
  meta: entityKey('bloom', name, 'meta'),
  next: entityKey('bloom', name, 'next'),
  nextMeta: entityKey('bloom', name, 'next-meta'),
});

/** The lua/bloom-*.lua scripts, as CacheStore loads them (see each file for what it does). */
interface BloomScripts {
  bloomAdd(bits: string, meta: string, next: string, nextMeta: string, token: string, leaseMs: number, ...ids: string[]): Promise<number>;
  bloomCheck(bits: string, meta: string, ...ids: string[]): Promise<number[] | number>;
  bloomBegin(next: string, nextMeta: string, token: string, leaseMs: number, backend: BloomBackend, bits: number, hashes: number, capacity: number, errorRate: number): Promise<number>;
  bloomSwap(bits: string, meta: string, next: string, nextMeta: string, token: string): Promise<number>;
  bloomAbort(next: string, nextMeta: string, token: string): Promise<number>;
  bloomStats(bits: string, meta: string): Promise<(string | null)[]>;
}

export const bloomScripts = (redis: CacheRedis) => redis as unknown as BloomScripts;

export const BLOOM_PATTERN = 'bloom-filter';

export function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
