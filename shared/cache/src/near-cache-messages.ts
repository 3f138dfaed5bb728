/**
 * What near caches tell each other over pub/sub, as small JSON documents. Every message names the
 * instance that sent it (`from`) and when (`at`, epoch ms, for the staleness measurement).
 *   { from, at, keys: [...] }   drop these keys
 *   { from, at, all: true }     drop everything
 *   { from, at, beat: n }       heartbeat: its sender checks that its own subscription is alive
 */
export type NearCacheMessage =
  | { from: string; at: number; keys: string[] }
  | { from: string; at: number; all: true }
  | { from: string; at: number; beat: number };

export function encodeMessage(message: NearCacheMessage): string {
  return JSON.stringify(message);
}

/** null for anything that is not a well-formed message (another publisher, a newer format). */
export function decodeMessage(raw: string): NearCacheMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { from, at, keys, all, beat } = value as Record<string, unknown>;
  if (typeof from !== 'string' || typeof at !== 'number') return null;
  if (Array.isArray(keys) && keys.every((key) => typeof key === 'string')) return { from, at, keys };
  if (all === true) return { from, at, all };
  if (typeof beat === 'number') return { from, at, beat };
  return null;
}
