import { createServer, type Socket } from 'node:net';
import { Client } from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { databaseFailureOf, isDatabaseUnavailable, pgAdapter } from '../src';
import { serverUrl } from './helpers';

/** A port that accepts connections and never says a word: a hung server. */
async function silentServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(serverUrl);
  url.port = String((server.address() as { port: number }).port);
  const close = () => {
    sockets.forEach((socket) => socket.destroy());
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { url: url.toString(), close };
}

/** A port nothing listens on: a stopped server. */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const url = new URL(serverUrl);
  url.port = String(port);
  return url.toString();
}

async function failureOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

const closers: Array<() => Promise<void>> = [];
afterAll(() => Promise.all(closers.map((close) => close())));

describe('isDatabaseUnavailable, on errors real servers produce', () => {
  it('a stopped server (connection refused), from pg and from the Prisma driver adapter', async () => {
    const url = await closedPortUrl();
    const fromPg = await failureOf(async () => {
      const client = new Client({ connectionString: url });
      await client.connect();
    });
    expect(databaseFailureOf(fromPg)).toBe('unreachable');

    const adapter = await pgAdapter(url).connect();
    const fromAdapter = await failureOf(() => adapter.queryRaw({ sql: 'SELECT 1', args: [], argTypes: [] }));
    expect(databaseFailureOf(fromAdapter)).toBe('unreachable');
    await adapter.dispose();
  });

  it('a server that accepts and never answers: the connect timeout', async () => {
    const silent = await silentServer();
    closers.push(silent.close);
    const adapter = await pgAdapter(silent.url, { timeouts: { connectTimeoutMs: 200 } }).connect();
    const started = Date.now();
    const error = await failureOf(() => adapter.queryRaw({ sql: 'SELECT 1', args: [], argTypes: [] }));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(databaseFailureOf(error)).toBe('timeout');
    await adapter.dispose();
  });

  it('a statement past statement_timeout, and a reply past query_timeout', async () => {
    const adapter = await pgAdapter(serverUrl, { timeouts: { statementTimeoutMs: 100, queryTimeoutMs: 5_000 } }).connect();
    const cancelled = await failureOf(() => adapter.queryRaw({ sql: 'SELECT pg_sleep(2)', args: [], argTypes: [] }));
    expect(databaseFailureOf(cancelled)).toBe('timeout'); // SQLSTATE 57014, cancelled by Postgres
    await adapter.dispose();

    const client = new Client({ connectionString: serverUrl, query_timeout: 100 });
    await client.connect();
    const unanswered = await failureOf(() => client.query('SELECT pg_sleep(2)'));
    expect((unanswered as Error).message).toBe('Query read timeout');
    expect(databaseFailureOf(unanswered)).toBe('timeout');
    await client.end().catch(() => undefined);
  });

  it('a session ended by idle_in_transaction_session_timeout', async () => {
    const client = new Client({ connectionString: serverUrl, idle_in_transaction_session_timeout: 100 });
    client.on('error', () => undefined); // the server ends the session: reported here too
    await client.connect();
    await client.query('BEGIN');
    const ended = new Promise((resolve) => client.once('error', resolve));
    await ended;
    const error = await failureOf(() => client.query('SELECT 1'));
    expect(isDatabaseUnavailable(error)).toBe(true);
    await client.end().catch(() => undefined);
  });

  it('is false for refusals and bugs: bad SQL, a division by zero, a plain error', async () => {
    const adapter = await pgAdapter(serverUrl).connect();
    const badSql = await failureOf(() => adapter.queryRaw({ sql: 'SELEC 1', args: [], argTypes: [] }));
    expect(isDatabaseUnavailable(badSql)).toBe(false);
    const divisionByZero = await failureOf(() => adapter.queryRaw({ sql: 'SELECT 1/0', args: [], argTypes: [] }));
    expect(isDatabaseUnavailable(divisionByZero)).toBe(false);
    await adapter.dispose();
    expect(isDatabaseUnavailable(new Error('connect ECONNREFUSED, but only in the text'))).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
  });
});
