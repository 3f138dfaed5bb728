/**
 * Key design: `<namespace>:{<id>}:<kind>`.
 *
 * The braces are a Redis Cluster hash tag: only the part inside them is hashed to pick the slot,
 * so `user:{42}:profile`, `user:{42}:ver` and `user:{42}:lock` live on the same node and one Lua
 * script (or one MGET) may touch them together. Different ids spread over the cluster.
 */
import { createHash } from 'node:crypto';

const SAFE_PART = /^[A-Za-z0-9._-]{1,128}$/;
const MAX_PART = 128;

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

/**
 * Any text (a client address, an API key) as a safe key part, one to one, for ids that are not
 * validated like entity ids. Letters, digits, `.` and `-` stay; every other UTF-8 byte, `_`
 * included, becomes `_` and two hex digits. So `127.0.0.1` stays itself, `::1` becomes `_3a_3a1`
 * and `2001:db8::1` `2001_3adb8_3a_3a1`, and no two texts share a part. A result longer than 128
 * characters becomes `_h` and a SHA-256 (base64url): `_h` is never an escape, so it cannot
 * collide with an escaped text. The empty text is `_`.
 */
export function encodeKeyPart(text: string): string {
  if (text === '') return '_';
  let encoded = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    encoded += /[A-Za-z0-9.-]/.test(char) ? char : `_${byte.toString(16).padStart(2, '0')}`;
  }
  return encoded.length <= MAX_PART ? encoded : `_h${createHash('sha256').update(text).digest('base64url')}`;
}
