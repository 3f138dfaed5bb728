import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { body, HttpError } from '../src';
import { errorOf, postJson, startApp, waitFor } from './helpers';

const createUser = z.strictObject({ name: z.string().min(1), age: z.int().positive().optional() });

async function app(bodyLimit?: string) {
  return startApp({
    ...(bodyLimit && { bodyLimit }),
    routes: (app) => {
      app.post('/users', (req, res) => {
        res.status(201).json({ id: 1, ...body(req, createUser) });
      });
      app.post('/raw-zod', (req, res) => {
        res.json(createUser.parse(req.body));
      });
      app.post('/count', (req, res) => {
        res.json({ body: req.body ?? null });
      });
      app.get('/conflict', () => {
        throw new HttpError(409, 'stock_short', 'Only 2 left', { available: 2 });
      });
      app.get('/boom', () => {
        throw new Error('connect ECONNREFUSED 10.0.0.7:5432 password=hunter2');
      });
      app.get('/async-boom', async () => {
        await Promise.resolve();
        throw new Error('async internals');
      });
    },
  });
}

describe('createApp errors', () => {
  it('answers an unknown route with 404 not_found', async () => {
    const { url } = await app();
    const response = await fetch(`${url}/nope`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ error: { code: 'not_found', message: 'No route for GET /nope' } });
  });

  it('answers a wrong method on a known path with 404', async () => {
    const { url } = await app();
    const response = await fetch(`${url}/users`, { method: 'DELETE' });
    expect(response.status).toBe(404);
    expect((await errorOf(response)).code).toBe('not_found');
  });

  it('answers a body over the limit with 413 payload_too_large', async () => {
    const { url } = await app('1kb');
    const response = await postJson(`${url}/users`, JSON.stringify({ name: 'x'.repeat(2048) }));
    expect(response.status).toBe(413);
    expect((await errorOf(response)).code).toBe('payload_too_large');
  });

  it('applies the 64kb default limit', async () => {
    const { url } = await app();
    const ok = await postJson(`${url}/count`, JSON.stringify({ pad: 'x'.repeat(60_000) }));
    expect(ok.status).toBe(200);
    const tooBig = await postJson(`${url}/count`, JSON.stringify({ pad: 'x'.repeat(70_000) }));
    expect(tooBig.status).toBe(413);
  });

  it('answers a text/plain body with 415 unsupported_media_type', async () => {
    const { url } = await app();
    const response = await postJson(`${url}/users`, '{"name":"ada"}', 'text/plain');
    expect(response.status).toBe(415);
    expect(await response.json()).toEqual({
      error: { code: 'unsupported_media_type', message: 'Request body must be application/json' },
    });
  });

  it('lets a POST without a body through', async () => {
    const { url } = await app();
    const response = await fetch(`${url}/count`, { method: 'POST' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ body: null });
  });

  it('accepts application/json with a charset and +json types', async () => {
    const { url } = await app();
    const withCharset = await postJson(`${url}/users`, '{"name":"ada"}', 'application/json; charset=utf-8');
    expect(withCharset.status).toBe(201);
    const vendor = await postJson(`${url}/users`, '{"name":"ada"}', 'application/vnd.cachelab+json');
    expect(vendor.status).toBe(201);
  });

  it.each(['{"name":', 'not json', '"a string"', '42'])('answers the body %j with 400 malformed_json', async (raw) => {
    const { url } = await app();
    const response = await postJson(`${url}/users`, raw);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: { code: 'malformed_json', message: 'Request body is not valid JSON' } });
  });

  it('rejects an unknown field on a strictObject with 400 validation_failed', async () => {
    const { url } = await app();
    const response = await postJson(`${url}/users`, JSON.stringify({ name: 'ada', admin: true, role: 'root' }));
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: {
        code: 'validation_failed',
        message: 'Request validation failed',
        details: {
          issues: [
            { path: 'admin', message: 'unknown field' },
            { path: 'role', message: 'unknown field' },
          ],
        },
      },
    });
  });

  it('answers a zod error thrown by a route with 400 validation_failed and the issues', async () => {
    const { url } = await app();
    const response = await postJson(`${url}/raw-zod`, JSON.stringify({ name: '', age: -1 }));
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.code).toBe('validation_failed');
    expect(error.details?.issues.map((issue) => issue.path)).toEqual(['name', 'age']);
  });

  it('answers an HttpError with its status, code, message and details', async () => {
    const { url } = await app();
    const response = await fetch(`${url}/conflict`);
    expect(response.status).toBe(409);
    expect(await response.json()).toEqual({ error: { code: 'stock_short', message: 'Only 2 left', details: { available: 2 } } });
  });

  it.each(['/boom', '/async-boom'])('answers an unexpected error on %s with a generic 500 and logs its stack', async (path) => {
    const { url, lines } = await app();
    const response = await fetch(`${url}${path}`);
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ error: { code: 'internal', message: 'Internal server error' } });
    expect(text).not.toMatch(/hunter2|ECONNREFUSED|internals|at /);

    await waitFor(() => lines.some((line) => line.level === 50));
    const logged = lines.find((line) => line.level === 50)!;
    expect(logged.req).toMatchObject({ method: 'GET', url: path });
    expect(logged.res).toEqual({ statusCode: 500 });
    expect(logged.err?.stack).toContain(path === '/boom' ? 'hunter2' : 'async internals');
  });

  it('answers an undecodable path parameter with 400', async () => {
    const { url } = await startApp({
      routes: (app) => app.get('/items/:id', (req, res) => void res.json(req.params)),
    });
    const response = await fetch(`${url}/items/%E0%A4%A`);
    expect(response.status).toBe(400);
    expect((await errorOf(response)).code).toBe('bad_request');
  });
});

describe('createApp basics', () => {
  it('answers /healthz without x-powered-by or etag', async () => {
    const { url } = await app();
    const response = await fetch(`${url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
    expect(response.headers.get('x-powered-by')).toBeNull();
    expect(response.headers.get('etag')).toBeNull();
  });

  it('logs nothing for successful requests at info level, but does at debug', async () => {
    const quiet = await app();
    await fetch(`${quiet.url}/healthz`);
    await fetch(`${quiet.url}/conflict`);
    await fetch(`${quiet.url}/boom`);
    await waitFor(() => quiet.lines.some((line) => line.level === 50));
    expect(quiet.lines.filter((line) => line.req).map((line) => line.req?.url)).toEqual(['/boom']);

    const chatty = await startApp({ logLevel: 'debug' });
    await fetch(`${chatty.url}/healthz`);
    await waitFor(() => chatty.lines.some((line) => line.req?.url === '/healthz'));
    expect(chatty.lines.find((line) => line.req?.url === '/healthz')).toMatchObject({ level: 20, res: { statusCode: 200 } });
  });

  it('logs slow requests at warn', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { url, lines } = await startApp({
      slowRequestMs: 0,
      routes: (app) =>
        app.get('/slow', async (_req, res) => {
          await gate;
          res.json({ ok: true });
        }),
    });
    const pending = fetch(`${url}/slow`);
    release();
    expect((await pending).status).toBe(200);
    await waitFor(() => lines.some((line) => line.req?.url === '/slow'));
    expect(lines.find((line) => line.req?.url === '/slow')?.level).toBe(40);
  });
});
