import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HttpError, intId, params, parse, query } from '../src';
import { errorOf, startApp } from './helpers';

function httpErrorOf(run: () => unknown): HttpError {
  try {
    run();
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error('expected an HttpError');
}

describe('parse', () => {
  it('returns the parsed value', () => {
    expect(parse(z.strictObject({ qty: z.int() }), { qty: 3 })).toEqual({ qty: 3 });
  });

  it('throws a 400 validation_failed with paths and messages', () => {
    const error = httpErrorOf(() => parse(z.strictObject({ order: z.object({ qty: z.int().positive() }) }), { order: { qty: 0 } }));
    expect(error.status).toBe(400);
    expect(error.code).toBe('validation_failed');
    expect(error.details).toEqual({ issues: [{ path: 'order.qty', message: expect.stringMatching(/>0/) }] });
  });

  it('drops unknown fields with z.object but rejects them with z.strictObject', () => {
    expect(parse(z.object({ a: z.string() }), { a: 'x', b: 1 })).toEqual({ a: 'x' });
    expect(httpErrorOf(() => parse(z.strictObject({ a: z.string() }), { a: 'x', b: 1 })).details).toEqual({
      issues: [{ path: 'b', message: 'unknown field' }],
    });
  });
});

describe('intId', () => {
  it.each([
    ['1', 1],
    ['42', 42],
    ['2147483647', 2147483647],
    [42, 42],
  ])('accepts %j', (value, expected) => {
    expect(parse(intId(), value)).toBe(expected);
  });

  it.each(['abc', '-1', '0', '1.5', '042', '4e1', ' 42', '', '2147483648', '99999999999999999999', 0, -3, 1.5, 2 ** 31, null, undefined, ['1']])(
    'rejects %j with 400 invalid_id',
    (value) => {
      const error = httpErrorOf(() => parse(intId(), value));
      expect(error.status).toBe(400);
      expect(error.code).toBe('invalid_id');
    },
  );

  it('takes a smaller maximum', () => {
    expect(parse(intId(100), '100')).toBe(100);
    expect(httpErrorOf(() => parse(intId(100), '101')).code).toBe('invalid_id');
  });

  it('reports validation_failed when other fields fail too', () => {
    const schema = z.object({ id: intId(), page: z.int() });
    expect(httpErrorOf(() => parse(schema, { id: 'x', page: 'y' })).code).toBe('validation_failed');
  });
});

describe('request helpers', () => {
  async function app() {
    return startApp({
      routes: (app) => {
        app.get('/users/:id', (req, res) => {
          res.json(params(req, z.object({ id: intId() })));
        });
        app.get('/search', (req, res) => {
          res.json(query(req, z.strictObject({ q: z.string().min(1), page: z.coerce.number().int().min(1).default(1) })));
        });
      },
    });
  }

  it('parses a path id', async () => {
    const { url } = await app();
    const response = await fetch(`${url}/users/42`);
    expect(await response.json()).toEqual({ id: 42 });
  });

  it.each(['abc', '-1', '1.5', '99999999999999999999', '0'])('answers /users/%s with 400 invalid_id', async (id) => {
    const { url } = await app();
    const response = await fetch(`${url}/users/${id}`);
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.code).toBe('invalid_id');
    expect(error.details).toEqual({ issues: [{ path: 'id', message: 'expected a positive integer id no greater than 2147483647' }] });
  });

  it('parses and validates the query string', async () => {
    const { url } = await app();
    expect(await (await fetch(`${url}/search?q=lamp&page=2`)).json()).toEqual({ q: 'lamp', page: 2 });
    expect(await (await fetch(`${url}/search?q=lamp`)).json()).toEqual({ q: 'lamp', page: 1 });
    const bad = await fetch(`${url}/search?q=lamp&page=0&debug=1`);
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).details?.issues.map((issue) => issue.path)).toEqual(['page', 'debug']);
  });
});
