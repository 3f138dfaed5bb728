import { describe, expect, it } from 'vitest';
import { encodeKeyPart, entityKey, entityKeys } from '../src/keys';
import { withJitter } from '../src/ttl';
import { newStore } from './helpers';

describe('key design', () => {
  it('puts the id in a hash tag', () => {
    expect(entityKey('user', 42, 'profile')).toBe('user:{42}:profile');
  });

  it('refuses key parts that would change the slot or the shape', () => {
    for (const bad of ['4}2', '{42}', 'a:b', '', 'x y']) expect(() => entityKey('user', bad, 'profile')).toThrow();
  });

  it('encodes any text into a safe key part, one to one', () => {
    expect(encodeKeyPart('127.0.0.1')).toBe('127.0.0.1'); // unchanged: IPv4 keys stay readable
    expect(encodeKeyPart('::1')).toBe('_3a_3a1');
    expect(encodeKeyPart('2001:db8::1')).toBe('2001_3adb8_3a_3a1');
    const texts = ['::1', '_3a_3a1', '_', '', 'a_b', 'a:b', '{42}', 'é', 'x'.repeat(200), 'x'.repeat(201), '::ffff:127.0.0.1'];
    const parts = texts.map(encodeKeyPart);
    expect(new Set(parts).size).toBe(texts.length);
    for (const part of parts) expect(() => entityKey('ratelimit', part, 'writes')).not.toThrow();
  });

  it.skipIf((process.env.REDIS_MODE ?? 'cluster') !== 'cluster')('keeps all keys of one entity in one Cluster slot', async () => {
    const store = await newStore();
    const keys = entityKeys('user', 42, 'profile');
    const slots = await Promise.all(Object.values(keys).map((key) => store.redis.call('CLUSTER', 'KEYSLOT', key)));
    expect(new Set(slots).size).toBe(1);
  });
});

describe('TTL jitter', () => {
  it('stays within +/- ratio and spreads', () => {
    const ttls = Array.from({ length: 1000 }, () => withJitter(60_000, 0.1));
    expect(Math.min(...ttls)).toBeGreaterThanOrEqual(54_000);
    expect(Math.max(...ttls)).toBeLessThanOrEqual(66_000);
    expect(new Set(ttls).size).toBeGreaterThan(100);
  });
});
