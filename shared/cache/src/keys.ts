/**
 * Key design: `<namespace>:{<id>}:<kind>`.
 *
 * The braces are a Redis Cluster hash tag: only the part inside them is hashed to pick the slot,
 * so `user:{42}:profile`, `user:{42}:ver` and `user:{42}:lock` live on the same node and one Lua
 * script (or one MGET) may touch them together. Different ids spread over the cluster.
 */
const SAFE_PART = /^[A-Za-z0-9._-]{1,128}$/;

function assertPart(label: string, part: string): void {
  if (!SAFE_PART.test(part)) {
    // Braces or colons from user input would change the slot or the shape of the key.
    throw new Error(`${label} "${part}" is not a safe key part (letters, digits, . _ - only)`);
  }
}

export interface EntityKeys {
  /** The cached value. */
  entry: string;
  /** Incremented on every invalidation; guards write-backs (see set-if-version-2.lua). */
  version: string;
  /** Held by the one process loading this entity from the database. */
  lock: string;
}

export function entityKey(namespace: string, id: string | number, kind: string): string {
  const idPart = String(id);
  assertPart('namespace', namespace);
  assertPart('id', idPart);
  assertPart('kind', kind);
  return `${namespace}:{${idPart}}:${kind}`;
}

export function entityKeys(namespace: string, id: string | number, kind: string): EntityKeys {
  return {
    entry: entityKey(namespace, id, kind),
    version: entityKey(namespace, id, 'ver'),
    lock: entityKey(namespace, id, `${kind}.lock`),
  };
}
