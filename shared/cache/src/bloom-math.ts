/**
 * Sizing a Bloom filter. For n expected items and a target false-positive rate p, the bit count
 * that minimises memory and the number of hash functions that goes with it are
 *
 *   m = -n ln p / (ln 2)^2        k = (m / n) ln 2
 *
 * e.g. n = 1,000,000 and p = 1 % give m ≈ 9.6 million bits (1.2 MB) and k = 7.
 */

/** A Redis string (and so a bitmap) holds at most 512 MB: bit offsets run from 0 to 2^32 - 1. */
export const MAX_BITMAP_BITS = 2 ** 32;

export interface BloomParameters {
  /** m: bits in the filter. */
  bits: number;
  /** k: bit positions per item. */
  hashes: number;
  /** m / 8, rounded up: the bitmap's size once it is full-length. */
  bytes: number;
}

export function bloomParameters(expectedItems: number, falsePositiveRate: number): BloomParameters {
  if (!Number.isInteger(expectedItems) || expectedItems < 1) {
    throw new RangeError(`expectedItems must be a positive integer, got ${expectedItems}`);
  }
  if (!(falsePositiveRate > 0 && falsePositiveRate < 1)) {
    throw new RangeError(`falsePositiveRate must be between 0 and 1 (exclusive), got ${falsePositiveRate}`);
  }
  const bits = Math.ceil((-expectedItems * Math.log(falsePositiveRate)) / Math.LN2 ** 2);
  if (bits > MAX_BITMAP_BITS) {
    throw new RangeError(
      `a Bloom filter for ${expectedItems} items at p=${falsePositiveRate} needs ${bits} bits, more than a Redis ` +
        'bitmap can hold (512 MB); split it into several filters or accept a higher false-positive rate',
    );
  }
  const hashes = Math.max(1, Math.round((bits / expectedItems) * Math.LN2));
  return { bits, hashes, bytes: Math.ceil(bits / 8) };
}

/** The false-positive rate to expect once `items` distinct items are in a filter of m bits and k hashes. */
export function expectedFalsePositiveRate(bits: number, hashes: number, items: number): number {
  return (1 - Math.exp((-hashes * items) / bits)) ** hashes;
}
