import { createHash } from 'node:crypto';
import { entityKey } from './keys';

export interface NormaliseOptions {
  /** Sort and de-duplicate the terms: right when the lookup ignores term order (an AND of terms). */
  unordered?: boolean;
  /** Longest accepted normalised text, in characters. */
  maxLength?: number;
}

/**
 * Normalises free text typed by a user, so that queries meaning the same thing share one entry:
 * Unicode NFKC (full-width and compatibility forms fold to one spelling), lower case, everything
 * but letters and digits becomes a separator, runs of separators collapse.
 *   "  Red   SHOES! "  ->  "red shoes"          (unordered: "shoes red" gives the same)
 */
export function normaliseText(text: string, options: NormaliseOptions = {}): string {
  const terms = text
    .normalize('NFKC')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((term) => term.length > 0);
  const normalised = (options.unordered ? [...new Set(terms)].sort() : terms).join(' ');
  return normalised.slice(0, options.maxLength ?? 256);
}

/**
 * A cache key part derived from text by hashing, never the text itself: user input then cannot
 * change the key's shape (braces would move it to another slot, colons fake a namespace), cannot
 * make it long (every key is the same size), and does not leak into MONITOR output, SCAN listings
 * or slow logs. SHA-256, base64url, 22 characters (132 bits): collisions are not a concern.
 * `salt` names the normalisation: change it when the normalisation changes, so that entries
 * stored under the old one are never read again.
 */
export function hashedKeyPart(text: string, salt = 'v1'): string {
  return createHash('sha256').update(salt).update('\0').update(text).digest('base64url').slice(0, 22);
}

/** `<namespace>:{<hash of the text>}:<kind>`: the hash is also the hash tag, so entries spread over the Cluster. */
export function hashedKey(namespace: string, text: string, kind: string, salt?: string): string {
  return entityKey(namespace, hashedKeyPart(text, salt), kind);
}
