/**
 * Where a write-behind counter keeps its data: a fixed number of shards, each under its own hash
 * tag (`wb:{s07}:...`), so that every key of one shard lives in one Cluster slot and one Lua
 * script may touch all of them, while the shards spread over the masters.
 *
 * An entity (a SKU) belongs to exactly one shard, chosen by a stable hash of its id: all its
 * increments, its ranking score and its idempotency markers sit side by side.
 */
const NAMESPACE = /^[A-Za-z0-9._-]{1,64}(:[A-Za-z0-9._-]{1,64}){0,3}$/;
const ID = /^[A-Za-z0-9._-]{1,128}$/;
const COUNTER = /^[a-z][a-z0-9_]{0,31}$/;
const ONCE_KEY = /^[A-Za-z0-9._:-]{1,200}$/;

export const MAX_SHARDS = 1024;

export interface ShardKeys {
  /** Hash `<counter>:<id>` -> increment not yet claimed by a flush. */
  pending: string;
  /** Recent `<traceId>-<spanId>` of the requests counted in `pending`. */
  pendingTraces: string;
  /** Hash once-key -> "<by>:<counter>:<id>": the identified increments in `pending` (sales). */
  pendingOnce: string;
  /** Sorted set: batch id -> time it was claimed. Batches not yet acknowledged, orphans included. */
  openBatches: string;
  batch(batchId: string): string;
  batchTraces(batchId: string): string;
  batchOnce(batchId: string): string;
  ranking(name: string): string;
  once(key: string): string;
}

function check(label: string, pattern: RegExp, value: string): string {
  if (!pattern.test(value)) throw new Error(`${label} ${JSON.stringify(value)} does not match ${pattern}`);
  return value;
}

export const checkId = (id: string): string => check('id', ID, id);
export const checkCounter = (counter: string): string => check('counter', COUNTER, counter);
export const checkNamespace = (namespace: string): string => check('namespace', NAMESPACE, namespace);
export const checkOnceKey = (key: string): string => check('idempotency key', ONCE_KEY, key);

export function checkShards(shards: number): number {
  if (!Number.isInteger(shards) || shards < 1 || shards > MAX_SHARDS) throw new Error(`shards must be an integer 1..${MAX_SHARDS}, got ${shards}`);
  return shards;
}

/**
 * FNV-1a over the id's UTF-16 code units: stable across processes and versions (unlike a
 * language's own string hash), cheap, and spreads `SKU-1`, `SKU-2`, ... evenly.
 */
export function shardOf(id: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i += 1) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
}

/** `s07`: the hash tag of a shard; zero-padded so that keys sort and read well. */
export function shardTag(shard: number, shards: number): string {
  return `s${String(shard).padStart(String(shards - 1).length, '0')}`;
}

export function shardKeys(namespace: string, shard: number, shards: number): ShardKeys {
  const base = `${namespace}:{${shardTag(shard, shards)}}`;
  return {
    pending: `${base}:pending`,
    pendingTraces: `${base}:pending:traces`,
    pendingOnce: `${base}:pending:once`,
    openBatches: `${base}:batches`,
    batch: (batchId) => `${base}:batch:${batchId}`,
    batchTraces: (batchId) => `${base}:batch:${batchId}:traces`,
    batchOnce: (batchId) => `${base}:batch:${batchId}:once`,
    ranking: (name) => `${base}:rank:${checkCounter(name)}`,
    once: (key) => `${base}:once:${checkOnceKey(key)}`,
  };
}

/** The pending-hash field of one counter of one entity, and back. */
export const deltaField = (counter: string, id: string): string => `${counter}:${id}`;

export function parseDeltaField(field: string): { counter: string; id: string } | undefined {
  const colon = field.indexOf(':');
  if (colon <= 0) return undefined;
  return { counter: field.slice(0, colon), id: field.slice(colon + 1) };
}
