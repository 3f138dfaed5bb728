import { describe, expect, it } from 'vitest';
import { startApp } from './helpers';

const never = () => new Promise<never>(() => {});

describe('/readyz', () => {
  it('answers 200 when every check is true', async () => {
    const { url } = await startApp({ readiness: async () => ({ redis: true, database: true }) });
    const response = await fetch(`${url}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', checks: { redis: true, database: true } });
  });

  it('answers 503 naming the dependency that is down', async () => {
    const { url } = await startApp({ readiness: async () => ({ redis: true, database: false }) });
    const response = await fetch(`${url}/readyz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: 'unavailable', checks: { redis: true, database: false } });
  });

  it('answers 503 when the readiness function throws', async () => {
    const { url } = await startApp({
      readiness: async () => {
        throw new Error('boom');
      },
    });
    const response = await fetch(`${url}/readyz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: 'unavailable', checks: {}, reason: 'readiness check failed' });
  });

  it('answers 503 instead of hanging when the readiness function hangs', async () => {
    const { url } = await startApp({ readiness: never, readinessTimeoutMs: 50 });
    const response = await fetch(`${url}/readyz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      status: 'unavailable',
      checks: {},
      reason: 'readiness check timed out after 50ms',
    });
  });

  it('names the hung dependency when given one check per dependency', async () => {
    const { url } = await startApp({
      readiness: { redis: async () => true, database: never, cache: async () => Promise.reject(new Error('down')) },
      readinessTimeoutMs: 50,
    });
    const response = await fetch(`${url}/readyz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: 'unavailable', checks: { redis: true, database: false, cache: false } });
  });

  it('answers 200 with per-dependency checks that all pass', async () => {
    const { url } = await startApp({ readiness: { redis: async () => true, database: async () => true } });
    const response = await fetch(`${url}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', checks: { redis: true, database: true } });
  });
});

describe('/metrics', () => {
  it('answers Prometheus text', async () => {
    const { url } = await startApp();
    const response = await fetch(`${url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await response.text()).toMatch(/^# HELP /m);
  });
});
