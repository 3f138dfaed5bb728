import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, port, serviceEnv } from '../src';

const base = { PORT: '3001', DATABASE_URL: 'postgres://u:p@127.0.0.1:55432/db' };

describe('serviceEnv', () => {
  it('accepts a full, valid environment', () => {
    const config = loadConfig(serviceEnv, {
      ...base,
      LOG_LEVEL: 'debug',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
      CACHELAB_STATE_DIR: '/tmp/state',
    });
    expect(config).toEqual({
      PORT: 3001,
      DATABASE_URL: base.DATABASE_URL,
      LOG_LEVEL: 'debug',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
      CACHELAB_STATE_DIR: '/tmp/state',
      // The database pool's limits, with their defaults (DB_QUERY_TIMEOUT_MS unset: statement + 1 s).
      DB_CONNECT_TIMEOUT_MS: 2_000,
      DB_STATEMENT_TIMEOUT_MS: 5_000,
      DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: 10_000,
    });
  });

  it('reads the database timeouts and rejects a bad one by name', () => {
    const config = loadConfig(serviceEnv, { ...base, DB_STATEMENT_TIMEOUT_MS: '250', DB_QUERY_TIMEOUT_MS: '400' });
    expect([config.DB_STATEMENT_TIMEOUT_MS, config.DB_QUERY_TIMEOUT_MS]).toEqual([250, 400]);
    expect(() => loadConfig(serviceEnv, { ...base, DB_CONNECT_TIMEOUT_MS: 'soon' })).toThrow(/DB_CONNECT_TIMEOUT_MS: expected an integer/);
  });

  it('treats empty optional variables as unset', () => {
    const config = loadConfig(serviceEnv, { ...base, OTEL_EXPORTER_OTLP_ENDPOINT: '', CACHELAB_STATE_DIR: '' });
    expect(config.OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
    expect(config.CACHELAB_STATE_DIR).toBeUndefined();
  });

  it.each(['0', '65536', '-1', '1.5', 'abc', '', ' 80'])('rejects PORT=%j', (value) => {
    expect(() => loadConfig(serviceEnv, { ...base, PORT: value })).toThrow(/PORT: expected an integer 1\.\.65535/);
  });

  it.each(['1', '80', '65535'])('accepts PORT=%s', (value) => {
    expect(loadConfig(serviceEnv, { ...base, PORT: value }).PORT).toBe(Number(value));
  });

  it('lets a service give PORT its own default', () => {
    const schema = serviceEnv.extend({ PORT: port.default(3002) });
    expect(loadConfig(schema, { DATABASE_URL: base.DATABASE_URL }).PORT).toBe(3002);
  });

  it.each([
    ['DATABASE_URL', 'mysql://u:p@h/db', /DATABASE_URL: expected a postgresql:\/\/ URL/],
    ['DATABASE_URL', 'not a url', /DATABASE_URL: expected a postgresql:\/\/ URL, got "not a url"/],
    ['LOG_LEVEL', 'verbose', /LOG_LEVEL: expected one of fatal\|error\|warn\|info\|debug\|trace\|silent/],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'localhost:4318', /OTEL_EXPORTER_OTLP_ENDPOINT: expected an http\(s\) URL/],
  ])('rejects %s=%j', (name, value, message) => {
    expect(() => loadConfig(serviceEnv, { ...base, [name]: value })).toThrow(message);
  });

  it('requires PORT and DATABASE_URL', () => {
    expect(() => loadConfig(serviceEnv, {})).toThrow(ConfigError);
    expect(() => loadConfig(serviceEnv, {})).toThrow(/PORT: required[\s\S]*DATABASE_URL: required/);
  });
});
