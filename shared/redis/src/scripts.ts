import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RedisClient } from './connect';
import { resolveIncludes } from './lua-includes';

/**
 * Loads every `name-N.lua` in `dir` as a custom command `name` (kebab-case becomes camelCase)
 * taking N keys, the way BullMQ ships its scripts. ioredis sends EVALSHA and falls back to EVAL
 * on NOSCRIPT, so a restarted or failed-over server needs no reloading. Shared fragments live in
 * `dir/includes/` and are pulled in by a `--- @include "includes/<name>"` line (see lua-includes.ts).
 *
 * Every key a script touches must be passed in KEYS, and on a Cluster all of them must share a
 * hash tag: that is what lets one script run atomically on one node.
 */
export function defineScripts(client: RedisClient, dir: string): string[] {
  const defined: string[] = [];
  for (const file of readdirSync(dir).sort()) {
    const match = /^([a-z0-9-]+)-(\d+)\.lua$/.exec(file);
    if (!match) continue;
    const [, kebab, keys] = match as unknown as [string, string, string];
    const name = kebab.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    if (!(name in client)) {
      client.defineCommand(name, { numberOfKeys: Number(keys), lua: resolveIncludes(join(dir, file)) });
    }
    defined.push(name);
  }
  return defined;
}

/** A client with the commands `defineScripts` added; callers declare the signatures they use. */
export type WithScripts<T> = RedisClient & T;
