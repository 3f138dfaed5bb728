/** What a cached read answered with; services echo it in the `x-cache` header. */
export type CacheResult = 'hit' | 'miss' | 'stale' | 'negative' | 'coalesced' | 'bypass';

export interface CacheRead<T> {
  /** null: the origin has no such record. */
  value: T | null;
  result: CacheResult;
}

/** Loads one record from the origin (the database); null when it does not exist. */
export type Loader<T> = () => Promise<T | null>;

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref?.());
