import { randomUUID } from 'node:crypto';
import type { BloomBackend } from './bloom-backend';
import { expectedFalsePositiveRate } from './bloom-math';
import { bloomScripts, chunks, type BloomKeys } from './bloom-scripts';
import type { CacheStore } from './store';

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

/** The live filter's parameters and memory; null when it has not been built. */
export async function readBloomStats(store: CacheStore, keys: BloomKeys): Promise<BloomStats | null> {
  const reply = await store.run((redis) => bloomScripts(redis).bloomStats(keys.bits, keys.meta));
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
 * Measures the false-positive rate of the live filter: asks it about `sampleSize` ids that were
 * never added (a random prefix no real id carries) and counts the "maybe" answers. Theory's
 * figure at the filter's fill comes with it, to compare.
 */
export async function measureFalsePositiveRate(
  store: CacheStore,
  keys: BloomKeys,
  { sampleSize = 10_000, batchSize = 500, name }: { sampleSize?: number; batchSize?: number; name: string },
): Promise<FalsePositiveReport> {
  const stats = await readBloomStats(store, keys);
  if (!stats) throw new Error(`Bloom filter ${name} is not built`);
  const prefix = `fp-probe:${randomUUID()}:`;
  const probes = Array.from({ length: sampleSize }, (_, i) => `${prefix}${i}`);
  let falsePositives = 0;
  for (const batch of chunks(probes, batchSize)) {
    const answers = await store.run((redis) => bloomScripts(redis).bloomCheck(keys.bits, keys.meta, ...batch));
    if (!Array.isArray(answers)) throw new Error(`Bloom filter ${name} is not built`);
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
