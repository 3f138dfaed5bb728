/**
 * What a cache entry holds. Values are stored as one JSON string rather than a HASH: an entry is
 * always written and dropped whole (never patched field by field), nested values (the summary's
 * per-month totals) need no flattening, and the metadata the patterns need travels with the
 * value in the same GET:
 *   e  logical expiry (epoch ms): after it the entry is stale, though Redis may still hold it
 *      for a stale-while-revalidate window
 *   d  how long the last load took (ms): the "delta" of probabilistic early refresh
 *   n  1 for a tombstone: the database said "no such row" (negative caching)
 */
export interface Envelope<T> {
  v?: T;
  e: number;
  d: number;
  n?: 1;
}

export type Entry<T> =
  | { kind: 'value'; value: T; expiresAt: number; loadMs: number }
  | { kind: 'tombstone'; expiresAt: number };

export function encode<T>(value: T | null, expiresAt: number, loadMs: number): string {
  const envelope: Envelope<T> = value === null ? { n: 1, e: expiresAt, d: loadMs } : { v: value, e: expiresAt, d: loadMs };
  return JSON.stringify(envelope);
}

/** A corrupt or foreign value is treated as a miss, never as data. */
export function decode<T>(raw: string | null): Entry<T> | null {
  if (raw === null) return null;
  try {
    const envelope = JSON.parse(raw) as Envelope<T>;
    if (typeof envelope.e !== 'number') return null;
    if (envelope.n === 1) return { kind: 'tombstone', expiresAt: envelope.e };
    if (!('v' in envelope)) return null;
    return { kind: 'value', value: envelope.v as T, expiresAt: envelope.e, loadMs: envelope.d ?? 0 };
  } catch {
    return null;
  }
}
