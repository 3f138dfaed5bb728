import { describe, expect, it } from 'vitest';
import { ConfigError, hostPortList, redisConfigFromEnv } from '../src';

describe('hostPortList', () => {
  it('parses host:port lists, trimming spaces, with bracketed IPv6', () => {
    expect(hostPortList.parse('127.0.0.1:7001, redis-2:7002,[::1]:7003')).toEqual([
      { host: '127.0.0.1', port: 7001 },
      { host: 'redis-2', port: 7002 },
      { host: '::1', port: 7003 },
    ]);
  });

  it.each(['', 'localhost', 'localhost:', ':7001', 'h:0', 'h:65536', 'h:70a', 'h:1,,h:2', 'h:1,', 'a b:1', '::1:7001'])(
    'rejects %j',
    (value) => {
      expect(hostPortList.safeParse(value).success).toBe(false);
    },
  );
});

describe('redisConfigFromEnv', () => {
  it('defaults to the native cluster', () => {
    expect(redisConfigFromEnv({})).toEqual({
      mode: 'cluster',
      nodes: [7001, 7002, 7003, 7004, 7005, 7006].map((port) => ({ host: '127.0.0.1', port })),
      sentinels: [26381, 26382, 26383].map((port) => ({ host: '127.0.0.1', port })),
      masterName: 'cachelab',
      password: 'cachelab',
      sentinelPassword: 'cachelab',
    });
  });

  it('reads a sentinel topology', () => {
    const config = redisConfigFromEnv({
      REDIS_MODE: 'sentinel',
      REDIS_SENTINELS: 's1:26379,s2:26379',
      REDIS_MASTER_NAME: 'primary',
      REDIS_PASSWORD: 'data-pass',
      REDIS_SENTINEL_PASSWORD: 'sentinel-pass',
    });
    expect(config).toMatchObject({
      mode: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
      ],
      masterName: 'primary',
      password: 'data-pass',
      sentinelPassword: 'sentinel-pass',
    });
  });

  it('gives sentinels the data password unless told otherwise', () => {
    expect(redisConfigFromEnv({ REDIS_PASSWORD: 'p' }).sentinelPassword).toBe('p');
  });

  it('reads an empty password as "no password"', () => {
    const config = redisConfigFromEnv({ REDIS_MODE: 'standalone', REDIS_NODES: '127.0.0.1:6379', REDIS_PASSWORD: '' });
    expect(config).toMatchObject({ mode: 'standalone', nodes: [{ host: '127.0.0.1', port: 6379 }] });
    expect(config.password).toBeUndefined();
    expect(config.sentinelPassword).toBeUndefined();
  });

  it('throws a ConfigError naming each bad variable', () => {
    let error: unknown;
    try {
      redisConfigFromEnv({ REDIS_MODE: 'clustr', REDIS_SENTINELS: 'x', REDIS_MASTER_NAME: '' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain('REDIS_MODE: expected one of cluster|sentinel|standalone, got "clustr"');
    expect((error as ConfigError).problems.map((p) => p.variable)).toEqual(['REDIS_MODE', 'REDIS_SENTINELS', 'REDIS_MASTER_NAME']);
  });
});
