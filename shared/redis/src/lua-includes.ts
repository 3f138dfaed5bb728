import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/** `--- @include "includes/bloom-positions"`: a whole line, the path relative to the including file, `.lua` implied. */
const INCLUDE = /^[ \t]*---[ \t]*@include[ \t]+"([^"]+)"[ \t]*$/gm;

export class LuaIncludeError extends Error {
  override readonly name = 'LuaIncludeError';
}

/**
 * A script with its `--- @include "..."` lines replaced by the fragments they name, the way
 * BullMQ assembles its commands: resolved once, when the script is loaded, so Redis only ever
 * sees one self-contained script. Fragments may include fragments; each one is inlined once, at
 * its first include (a later include of the same fragment becomes nothing, so a `local function`
 * is never defined twice). A missing fragment or an include cycle throws, naming the chain.
 */
export function resolveIncludes(file: string): string {
  return expand(file, [], new Set());
}

function expand(file: string, chain: readonly string[], seen: Set<string>): string {
  const here = [...chain, file];
  seen.add(file);
  const source = readFileSync(file, 'utf8');
  return source.replace(INCLUDE, (_line, name: string) => {
    const fragment = join(dirname(file), name.endsWith('.lua') ? name : `${name}.lua`);
    if (here.includes(fragment)) throw new LuaIncludeError(`Lua include cycle: ${[...here, fragment].map((f) => relative(dirname(here[0]!), f)).join(' -> ')}`);
    if (seen.has(fragment)) return `-- (${name}: included above)`;
    if (!existsSync(fragment)) {
      throw new LuaIncludeError(`${relative(process.cwd(), file)} includes "${name}", but ${relative(process.cwd(), fragment)} does not exist`);
    }
    return expand(fragment, here, seen).replace(/\n$/, '');
  });
}
