/**
 * TTL with jitter. Entries written together (a deploy, a cache flush, a bulk import) would
 * otherwise expire together and send their reloads to the database in the same second.
 * `ratio` 0.1 spreads a 60 s TTL over 54-66 s.
 */
export function withJitter(ttlMs: number, ratio = 0.1, random: () => number = Math.random): number {
  const spread = ttlMs * ratio;
  return Math.max(1, Math.round(ttlMs - spread + 2 * spread * random()));
}
