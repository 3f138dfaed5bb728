import { Writable } from 'node:stream';
import { pino, type Level } from 'pino';
import { afterEach } from 'vitest';
import { createApp, serve, type AppOptions, type ErrorBody, type Served } from '../src';

export interface LogLine {
  level: number;
  msg?: string;
  err?: { message: string; stack: string };
  req?: { method: string; url: string };
  res?: { statusCode: number };
  [key: string]: unknown;
}

/** A pino logger whose lines the test can read. */
export function memoryLogger(level: Level = 'info') {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as LogLine);
      done();
    },
  });
  return { logger: pino({ level }, stream), lines };
}

/** Polls `condition` until it holds or the deadline passes. */
export async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met before the deadline');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const started: Served[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((served) => served.close()));
});

export interface TestServer extends Served {
  url: string;
  lines: LogLine[];
}

/** A real app on a free port of 127.0.0.1, closed after the test. */
export async function startApp(
  options: Partial<AppOptions> & { logLevel?: Level; onShutdown?: Array<() => Promise<void>> } = {},
): Promise<TestServer> {
  const { logger, lines } = memoryLogger(options.logLevel);
  const app = createApp({
    serviceName: 'http-kit-test',
    readiness: async () => ({ redis: true, database: true }),
    routes: () => {},
    logger,
    ...options,
  });
  const served = await serve(app, {
    port: 0,
    host: '127.0.0.1',
    handleSignals: false,
    logger,
    ...(options.onShutdown && { onShutdown: options.onShutdown }),
  });
  started.push(served);
  return { ...served, url: `http://127.0.0.1:${served.port}`, lines };
}

export function postJson(url: string, body: string, contentType = 'application/json') {
  return fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body });
}

export interface IssueList {
  issues: Array<{ path: string; message: string }>;
}

/** The `error` member of an error response. */
export async function errorOf(response: Response) {
  return ((await response.json()) as ErrorBody).error as ErrorBody['error'] & { details?: IssueList };
}
