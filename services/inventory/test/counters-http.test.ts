import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, post } from './support/http';
import type { RunningService } from './support/inventory-service';
import { freshSku } from './support/skus';
import { closePool, stockRows, waitForPersisted, WriteBehindProbe, writeBehindEnv, startCountersService } from './support/write-behind-env';

/** The HTTP contract of the counters: POST /products/:sku/views and GET /counters/:sku. */
let svc: RunningService;
let probe: WriteBehindProbe;
const wb = writeBehindEnv();
const sku = freshSku();

beforeAll(async () => {
  await stockRows([sku]);
  svc = await startCountersService(wb);
  probe = await WriteBehindProbe.open(wb);
});
afterAll(async () => {
  await svc?.close();
  await probe?.close();
  await closePool();
});

describe('counters over HTTP', () => {
  it('acknowledges a view with 202 and shows it pending, then persisted', async () => {
    const before = await call(`${svc.url}/counters/${sku}`);
    expect(before.status).toBe(200);
    expect(before.body).toEqual({ sku, views: { persisted: 0, pending: 0 }, sold: { persisted: 0, pending: 0 } });

    const replies = await Promise.all(Array.from({ length: 25 }, () => post(`${svc.url}/products/${sku}/views`)));
    expect(replies.map((r) => r.status)).toEqual(Array(25).fill(202));
    expect(replies[0]!.body).toEqual({ sku, counted: 'views' });

    const now = (await call(`${svc.url}/counters/${sku}`)).body;
    expect(now.views.persisted + now.views.pending).toBe(25);

    await waitForPersisted(probe, [sku], { views: 25 });
    expect((await call(`${svc.url}/counters/${sku}`)).body.views).toEqual({ persisted: 25, pending: 0 });
  });

  it('answers 404 for a well-formed SKU the inventory does not hold', async () => {
    const unknown = freshSku();
    for (const reply of [await post(`${svc.url}/products/${unknown}/views`), await call(`${svc.url}/counters/${unknown}`)]) {
      expect(reply.status).toBe(404);
      expect(reply.body.error.code).toBe('unknown_sku');
    }
  });

  it.each([
    ['lowercase', 'sku-1'],
    ['leading zero', 'SKU-01'],
    ['a brace', 'SKU-1%7D'],
    ['too long', `SKU-${'9'.repeat(11)}`],
  ])('answers 400 for a malformed SKU (%s)', async (_, bad) => {
    for (const reply of [await post(`${svc.url}/products/${bad}/views`), await call(`${svc.url}/counters/${bad}`)]) {
      expect(reply.status).toBe(400);
      expect(reply.body.error.code).toBe('validation_failed');
    }
  });

  it('refuses a view with a body it does not understand', async () => {
    const reply = await post(`${svc.url}/products/${sku}/views`, { count: 1000 });
    expect(reply.status).toBe(400);
    expect(reply.body.error.details.issues[0].path).toBe('count');
  });

  it('serves Bull Board at /admin/queues with the flush queue', async () => {
    const page = await call(`${svc.url}/admin/queues`);
    expect(page.status).toBe(200);
    expect(String(page.body)).toContain('<html');
    const queues = await call(`${svc.url}/admin/queues/api/queues?activeQueue=counter-flush&status=completed&page=1`);
    expect(queues.status).toBe(200);
    expect(queues.body.queues.map((q: { name: string }) => q.name)).toContain('counter-flush');
  });

  it('reports the write-behind Redis in /readyz', async () => {
    const ready = await call(`${svc.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(JSON.stringify(ready.body)).toContain('writeBehindRedis');
  });
});
