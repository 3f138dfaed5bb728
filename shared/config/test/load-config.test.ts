import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, loadConfig, serviceEnv, redisEnv } from '../src';

const validService = {
  PORT: '3001',
  DATABASE_URL: 'postgresql://cachelab:cachelab@127.0.0.1:55432/cachelab_user',
};

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('returns the typed, defaulted values', () => {
    const config = loadConfig(serviceEnv, validService);
    expect(config).toMatchObject({ PORT: 3001, LOG_LEVEL: 'info', DATABASE_URL: validService.DATABASE_URL });
    expect(config.OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
  });

  it('reads process.env by default', () => {
    const schema = z.object({ CACHELAB_CONFIG_TEST_VAR: z.string() });
    process.env.CACHELAB_CONFIG_TEST_VAR = 'from-process';
    try {
      expect(loadConfig(schema).CACHELAB_CONFIG_TEST_VAR).toBe('from-process');
    } finally {
      delete process.env.CACHELAB_CONFIG_TEST_VAR;
    }
  });

  it('names every bad variable with what was expected and what it got', () => {
    const error = configError(() =>
      loadConfig(serviceEnv.extend(redisEnv.shape), {
        PORT: 'abc',
        LOG_LEVEL: 'loud',
        REDIS_MODE: 'clustr',
        REDIS_NODES: '127.0.0.1:7001,127.0.0.1:99999',
      }),
    );
    expect(error.message).toBe(
      [
        'Invalid configuration:',
        '  - PORT: expected an integer 1..65535, got "abc"',
        '  - DATABASE_URL: required, expected a postgresql:// URL',
        '  - LOG_LEVEL: expected one of fatal|error|warn|info|debug|trace|silent, got "loud"',
        '  - REDIS_MODE: expected one of cluster|sentinel|standalone, got "clustr"',
        '  - REDIS_NODES: expected host:port[,host:port...] with ports 1..65535 (bad entry "127.0.0.1:99999"), got "127.0.0.1:7001,127.0.0.1:99999"',
      ].join('\n'),
    );
    expect(error.problems.map((p) => p.variable)).toEqual(['PORT', 'DATABASE_URL', 'LOG_LEVEL', 'REDIS_MODE', 'REDIS_NODES']);
  });

  it('says "required" for a missing variable of a custom schema', () => {
    const error = configError(() => loadConfig(z.object({ API_KEY_NAME: z.string() }), {}));
    expect(error.message).toBe('Invalid configuration:\n  - API_KEY_NAME: required');
  });

  it('never prints secrets or passwords inside URLs', () => {
    const error = configError(() =>
      loadConfig(z.object({ REDIS_PASSWORD: z.string().min(20), DATABASE_URL: z.url({ protocol: /^https$/ }) }), {
        REDIS_PASSWORD: 'hunter2',
        DATABASE_URL: 'postgresql://cachelab:s3cret@db:5432/x',
      }),
    );
    expect(error.message).not.toContain('hunter2');
    expect(error.message).not.toContain('s3cret');
    expect(error.message).toContain('REDIS_PASSWORD: ');
    expect(error.message).toContain('<redacted>');
    expect(error.message).toContain('"postgresql://cachelab:***@db:5432/x"');
  });
});
