import { serve } from '@cachelab/http-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCategory, freshSku } from './helpers/db';
import { createProduct } from './support/catalog-api';
import { filePrefix, startCatalogService, type RunningService } from './support/catalog-service';
import { call } from './support/http';

let svc: RunningService;
let limited: RunningService;
let small: RunningService;
let categoryId: number;
beforeAll(async () => {
  const prefix = filePrefix();
  svc = await startCatalogService({ CACHE_KEY_PREFIX: prefix });
  limited = await startCatalogService({ CACHE_KEY_PREFIX: prefix, RATE_LIMIT_WRITES: '3', RATE_LIMIT_WINDOW_MS: '60000', TRUST_PROXY: 'loopback' });
  small = await startCatalogService({ CACHE_KEY_PREFIX: prefix, BODY_LIMIT_BYTES: '4096' });
  categoryId = await createCategory();
});
afterAll(async () => {
  await Promise.all([svc?.close(), limited?.close(), small?.close()]);
});

const expectError = (reply: { status: number; body: any }, status: number, code: string) => {
  expect(reply.status).toBe(status);
  expect(reply.body).toMatchObject({ error: { code, message: expect.any(String) } });
};
const valid = () => ({ sku: freshSku(), name: 'Valid', priceCents: 100, categoryId });

describe('bad input is a 4xx with a JSON error, never a 5xx', () => {
  it.each(['abc', '0', '-1', '1.5', '042', '99999999999999999999', '1e3', '%20', '{1}'])('GET /products/%s: 400 invalid_id', async (id) => {
    expectError(await call(`${svc.url}/products/${id}`), 400, 'invalid_id');
    expectError(await call(`${svc.url}/categories/${id}/products`), 400, 'invalid_id');
    expectError(await call(`${svc.url}/products/${id}`, { method: 'PATCH', json: { name: 'x' } }), 400, 'invalid_id');
    expectError(await call(`${svc.url}/products/${id}`, { method: 'DELETE' }), 400, 'invalid_id');
  });

  it.each(['a b', '{SKU-1}', 'SKU:1', '-SKU', 'x'.repeat(65), '%7B1%7D'])('GET /products/by-sku/%s: 400', async (sku) => {
    expectError(await call(`${svc.url}/products/by-sku/${encodeURIComponent(sku)}`), 400, 'validation_failed');
  });

  it.each(['0', '-1', 'x', '1.5', '10000', '01'])('GET /categories/1/products?page=%s: 400', async (page) => {
    expectError(await call(`${svc.url}/categories/1/products?page=${page}`), 400, 'validation_failed');
  });

  it('unknown query parameters are refused', async () => {
    expectError(await call(`${svc.url}/categories/1/products?page=1&size=500`), 400, 'validation_failed');
  });

  it.each([
    ['a negative price', { priceCents: -1 }],
    ['a fractional price', { priceCents: 9.99 }],
    ['a price as a string', { priceCents: '100' }],
    ['a huge price', { priceCents: 1e12 }],
    ['no name', { name: '   ' }],
    ['a bad SKU', { sku: 'has space' }],
    ['a bad tag', { tags: ['Not A Tag'] }],
    ['too many tags', { tags: Array.from({ length: 11 }, (_, i) => `t${i}`) }],
    ['a nested attribute', { attributes: { size: { w: 1 } } }],
    ['an unknown field', { id: 7 }],
  ])('POST /products with %s: 400 validation_failed', async (_, fields) => {
    expectError(await call(`${svc.url}/products`, { method: 'POST', json: { ...valid(), ...fields } }), 400, 'validation_failed');
  });

  it('POST /products with a category id that is not an id: 400 invalid_id', async () => {
    expectError(await call(`${svc.url}/products`, { method: 'POST', json: { ...valid(), categoryId: 0 } }), 400, 'invalid_id');
  });

  it('PATCH with nothing to change, a negative price, or the SKU: 400, and nothing is written', async () => {
    const product = await createProduct(svc.url, { categoryId, priceCents: 100 });
    for (const json of [{}, { priceCents: -100 }, { sku: 'OTHER-1' }, { version: 9 }]) {
      expectError(await call(`${svc.url}/products/${product.id}`, { method: 'PATCH', json }), 400, 'validation_failed');
    }
    expect((await call(`${svc.url}/products/${product.id}`)).body).toMatchObject({ priceCents: 100, version: 1 });
  });

  it('a duplicate SKU: 409; an unknown category: 422; a missing product: 404', async () => {
    const product = await createProduct(svc.url, { categoryId });
    expectError(await call(`${svc.url}/products`, { method: 'POST', json: { ...valid(), sku: product.sku } }), 409, 'sku_taken');
    expectError(await call(`${svc.url}/products`, { method: 'POST', json: { ...valid(), categoryId: 2147483000 } }), 422, 'unknown_category');
    expectError(await call(`${svc.url}/products/${product.id}`, { method: 'PATCH', json: { categoryId: 2147483000 } }), 422, 'unknown_category');
    expectError(await call(`${svc.url}/products/2147483000`, { method: 'PATCH', json: { name: 'x' } }), 404, 'not_found');
    expectError(await call(`${svc.url}/products/2147483000`, { method: 'DELETE' }), 404, 'not_found');
  });

  it('malformed JSON: 400; not JSON: 415; over the body limit: 413', async () => {
    const broken = await call(`${svc.url}/products`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"sku": "A",' });
    expectError(broken, 400, 'malformed_json');
    const text = await call(`${svc.url}/products`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'sku=A' });
    expectError(text, 415, 'unsupported_media_type');
    const big = { products: Array.from({ length: 100 }, () => valid()) };
    expectError(await call(`${small.url}/products/import`, { method: 'POST', json: big }), 413, 'payload_too_large');
  });

  it('bad tags and bounds on tag invalidation: 400', async () => {
    expectError(await call(`${svc.url}/tags/Bad%20Tag/invalidate`, { method: 'POST' }), 400, 'validation_failed');
    expectError(await call(`${svc.url}/tags/ok-tag/invalidate?maxKeys=0`, { method: 'POST' }), 400, 'validation_failed');
  });

  it('too many writes: 429 with Retry-After; reads are not limited', async () => {
    const client = { 'x-forwarded-for': `10.${process.pid % 250}.${Date.now() % 250}.${Math.floor(Math.random() * 250)}` };
    const statuses = [];
    for (let i = 0; i < 5; i++) {
      statuses.push((await call(`${limited.url}/products`, { method: 'POST', headers: client, json: valid() })).status);
    }
    expect(statuses).toEqual([201, 201, 201, 429, 429]);
    const refused = await call(`${limited.url}/products/import`, { method: 'POST', headers: client, json: { products: [valid()] } });
    expectError(refused, 429, 'rate_limited');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await call(`${limited.url}/products/1`, { headers: client })).status).not.toBe(429);
  });

  it('writes from IPv6 clients are limited like any other, never a 500', async () => {
    // Behind a trusted proxy: the client address comes from X-Forwarded-For.
    const client = { 'x-forwarded-for': `2001:db8:${(process.pid % 0xffff).toString(16)}::${(Date.now() % 0xffff).toString(16)}` };
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await call(`${limited.url}/products`, { method: 'POST', headers: client, json: valid() })).status);
    }
    expect(statuses).toEqual([201, 201, 201, 429]);

    // Directly from ::1, the service listening on the IPv6 loopback.
    const served = await serve(limited.service.app, { port: 0, host: '::1', handleSignals: false });
    try {
      const direct = await call(`http://[::1]:${served.port}/products`, { method: 'POST', json: valid() });
      expect(direct.status, JSON.stringify(direct.body)).toBe(201);
      expect(direct.headers.get('x-ratelimit-remaining')).not.toBeNull();
    } finally {
      await served.close();
    }
  });
});
