import { createServer } from 'node:net';
import { pgAdapter } from '@cachelab/db';
import { describe, expect, it } from 'vitest';
import { HttpError, unavailable } from '../src';
import { errorOf, startApp } from './helpers';

const postgres = process.env.DATABASE_URL ?? 'postgresql://cachelab:cachelab@127.0.0.1:55432/cachelab_user_test';

/** A Postgres URL on a port nothing listens on: the server is down. */
async function downPostgres(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const url = new URL(postgres);
  url.port = String(port);
  return url.toString();
}

const query = (url: string, sql: string, timeouts = {}) => async () => {
  const adapter = await pgAdapter(url, { timeouts }).connect();
  try {
    return await adapter.queryRaw({ sql, args: [], argTypes: [] });
  } finally {
    await adapter.dispose();
  }
};

describe('a database that cannot answer is a 503 with Retry-After, in every service', () => {
  it('Postgres down: 503 database_unavailable, Retry-After, no internals in the body', async () => {
    const down = await downPostgres();
    const { url } = await startApp({
      routes: (app) => app.get('/needs-db', async (_req, res) => void res.json(await query(down, 'SELECT 1')())),
    });
    const response = await fetch(`${url}/needs-db`);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(await response.json()).toEqual({
      error: { code: 'database_unavailable', message: 'The database cannot be reached; retry later' },
    });
  });

  it('a statement cancelled by statement_timeout: 503, "did not answer in time"', async () => {
    const { url } = await startApp({
      routes: (app) =>
        app.get('/slow', async (_req, res) => void res.json(await query(postgres, 'SELECT pg_sleep(2)', { statementTimeoutMs: 50 })())),
    });
    const response = await fetch(`${url}/slow`);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(await errorOf(response)).toEqual({ code: 'database_unavailable', message: 'The database did not answer in time; retry later' });
  });

  it('a database error that is not an outage stays a 500', async () => {
    const { url } = await startApp({
      routes: (app) => app.get('/bad-sql', async (_req, res) => void res.json(await query(postgres, 'SELEC 1')())),
    });
    const response = await fetch(`${url}/bad-sql`);
    expect(response.status).toBe(500);
    expect(response.headers.get('retry-after')).toBeNull();
  });

  it('every 503 carries Retry-After: its own, the one a route set, or 1 s', async () => {
    const { url } = await startApp({
      routes: (app) => {
        app.get('/own', () => {
          throw unavailable('catalog_unavailable', 'catalog down', 7);
        });
        app.get('/route-set', (_req, res) => {
          res.setHeader('retry-after', '3');
          throw new HttpError(503, 'busy', 'busy');
        });
        app.get('/plain', () => {
          throw new HttpError(503, 'busy', 'busy');
        });
      },
    });
    expect((await fetch(`${url}/own`)).headers.get('retry-after')).toBe('7');
    expect((await fetch(`${url}/route-set`)).headers.get('retry-after')).toBe('3');
    const plain = await fetch(`${url}/plain`);
    expect([plain.status, plain.headers.get('retry-after')]).toEqual([503, '1']);
  });
});
