import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeRedis, createRedis, defineScripts, LuaIncludeError, resolveIncludes, waitForReady } from '@cachelab/redis';
import { testRedisConfig } from '@cachelab/testing';
import { describe, expect, it } from 'vitest';
import { LUA_DIR } from '../src/store';

/** A folder of Lua files, written from { 'path': 'text' }. */
function scripts(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'lua-includes-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('Lua include step (--- @include "includes/name")', () => {
  it('inlines fragments, recursively, each one once, relative to the including file', () => {
    const dir = scripts({
      'main-1.lua': '--- @include "includes/b"\n--- @include "includes/a"\nreturn a() + b()\n',
      'includes/a.lua': '--- @include "shared"\nlocal function a() return shared() + 1 end\n',
      'includes/b.lua': '--- @include "shared.lua"\nlocal function b() return shared() + 2 end\n',
      'includes/shared.lua': 'local function shared() return 10 end\n',
    });
    const lua = resolveIncludes(join(dir, 'main-1.lua'));
    expect(lua).not.toContain('@include');
    expect(lua.match(/local function shared/g)).toHaveLength(1); // included twice, inlined once
    expect(lua.indexOf('function shared')).toBeLessThan(lua.indexOf('function b'));
    expect(lua.indexOf('function b')).toBeLessThan(lua.indexOf('function a'));
  });

  it('names the including file and the missing fragment', () => {
    const dir = scripts({ 'main-1.lua': 'local x = 1\n--- @include "includes/nope"\nreturn x\n' });
    expect(() => resolveIncludes(join(dir, 'main-1.lua'))).toThrow(LuaIncludeError);
    expect(() => resolveIncludes(join(dir, 'main-1.lua'))).toThrow(/main-1\.lua includes "includes\/nope", but .*includes\/nope\.lua does not exist/);
  });

  it('refuses an include cycle', () => {
    const dir = scripts({
      'main-1.lua': '--- @include "includes/a"\nreturn 1\n',
      'includes/a.lua': '--- @include "b"\n',
      'includes/b.lua': '--- @include "a"\n',
    });
    expect(() => resolveIncludes(join(dir, 'main-1.lua'))).toThrow(/include cycle: .*a\.lua -> .*b\.lua -> .*a\.lua/);
  });

  it('leaves a line that only mentions @include inside a comment or string alone', () => {
    const dir = scripts({ 'main-1.lua': '-- see --- @include "x" in the docs\nreturn "--- @include \\"y\\""\n' });
    expect(resolveIncludes(join(dir, 'main-1.lua'))).toBe('-- see --- @include "x" in the docs\nreturn "--- @include \\"y\\""\n');
  });

  it('gives the Bloom add and check scripts one shared bit-position function', () => {
    for (const file of ['bloom-add-4.lua', 'bloom-check-2.lua']) {
      const lua = resolveIncludes(join(LUA_DIR, file));
      expect(lua).not.toContain('@include');
      expect(lua.match(/local function positions\(id, bits, hashes\)/g)).toHaveLength(1);
    }
  });

  it('loads the resolved scripts as commands a real Redis runs', async () => {
    const dir = scripts({
      'sum-1.lua': '--- @include "includes/double"\nreturn double(tonumber(ARGV[1])) + redis.call("EXISTS", KEYS[1])\n',
      'includes/double.lua': 'local function double(n) return 2 * n end\n',
    });
    const redis = createRedis(testRedisConfig(), { commandTimeoutMs: 5_000 });
    try {
      await waitForReady(redis);
      expect(defineScripts(redis, dir)).toEqual(['sum']);
      const sum = (redis as unknown as { sum(key: string, n: number): Promise<number> }).sum;
      expect(await sum.call(redis, 'lua-includes:{t}:none', 21)).toBe(42);
    } finally {
      await closeRedis(redis);
    }
  });
});
