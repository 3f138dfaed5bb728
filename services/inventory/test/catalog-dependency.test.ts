import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SpanRecord } from '@cachelab/telemetry';
import { waitFor } from '@cachelab/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatalogStub } from './support/catalog-stub';
import { startFixture, type Fixture } from './support/fixture';
import { call, post } from './support/http';
import { spawnInventoryService, type ServiceProcess } from './support/service-process';
import { freshOrderId, freshSku } from './support/skus';

describe('the catalog check before a reservation', () => {
  let fx: Fixture;

  beforeAll(async () => {
    // Remembering found SKUs would hide the catalog's state from the second check of a SKU.
    fx = await startFixture({ CATALOG_TIMEOUT_MS: '300', CATALOG_REMEMBER_MS: '0' });
  });

  afterAll(async () => {
    await fx?.close();
  });

  it('asks the catalog about the SKU', async () => {
    const sku = await fx.stockedSku(5);
    fx.catalog.requests.length = 0;

    await post(`${fx.url}/stock/${sku}/reserve`, { qty: 1, orderId: freshOrderId() });

    expect(fx.catalog.requests.map((r) => r.sku)).toEqual([sku]);
  });

  it('a catalog that does not answer in time: 503 catalog_unavailable, nothing reserved', async () => {
    const sku = await fx.stockedSku(5);
    fx.catalog.delayMs = 2_000;
    try {
      const started = Date.now();
      const reply = await post(`${fx.url}/stock/${sku}/reserve`, { qty: 1, orderId: freshOrderId() });

      expect(reply.status).toBe(503);
      expect(reply.body.error.code).toBe('catalog_unavailable');
      expect(reply.body.error.message).toMatch(/catalog-service .* unavailable: no answer within 300 ms/);
      expect(Date.now() - started).toBeLessThan(1_500);
    } finally {
      fx.catalog.delayMs = 0;
    }
    expect((await call(`${fx.url}/stock/${sku}`)).body.available).toBe(5);
  });

  it('a catalog that is down: 503 catalog_unavailable (a dependency failure, not bad input)', async () => {
    const down = await startFixture({ CATALOG_URL: 'http://127.0.0.1:9' });
    try {
      const reply = await post(`${down.url}/stock/${freshSku()}/reserve`, { qty: 1, orderId: freshOrderId() });

      expect(reply.status).toBe(503);
      expect(reply.body.error.code).toBe('catalog_unavailable');
      expect(reply.body.error.message).toContain('ECONNREFUSED');
    } finally {
      await down.close();
    }
  });

  it('a SKU found is remembered briefly, so a flash sale asks the catalog once, not per buyer', async () => {
    const remembering = await startFixture({ CATALOG_REMEMBER_MS: '60000' });
    try {
      const sku = await remembering.stockedSku(100);
      remembering.catalog.requests.length = 0;

      await Promise.all(Array.from({ length: 50 }, () => post(`${remembering.url}/stock/${sku}/reserve`, { qty: 1, orderId: freshOrderId() })));

      expect(remembering.catalog.requests).toHaveLength(0);
    } finally {
      await remembering.close();
    }
  });
});

describe('one trace across inventory and catalog', () => {
  let stateDir: string;
  let catalog: CatalogStub;
  let inventory: ServiceProcess;

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'inventory-trace-'));
    catalog = await CatalogStub.start();
    inventory = await spawnInventoryService({
      CATALOG_URL: catalog.url,
      CACHELAB_STATE_DIR: stateDir,
      OTEL_EXPORTER_OTLP_ENDPOINT: '',
      OTEL_BSP_SCHEDULE_DELAY: '50',
      LOAD_STOCK_ON_START: 'false',
      CATALOG_REMEMBER_MS: '0',
    });
  });

  afterAll(async () => {
    await inventory?.stop();
    await catalog?.stop();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  it('the request to the catalog carries a traceparent of the reservation trace', async () => {
    const sku = freshSku();
    catalog.add(sku);
    expect((await post(`${inventory.url}/stock/${sku}/restock`, { qty: 3 })).status).toBe(200);
    catalog.requests.length = 0;

    const reply = await post(`${inventory.url}/stock/${sku}/reserve`, { qty: 1, orderId: freshOrderId() });

    expect(reply.status).toBe(200);
    const traceparent = catalog.requests[0]?.headers.traceparent;
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    const traceId = String(traceparent).split('-')[1];
    const file = join(stateDir, 'traces', 'inventory-service.jsonl');
    const spans = await waitFor(
      () => {
        if (!existsSync(file)) return undefined;
        const trace = readFileSync(file, 'utf8')
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as SpanRecord)
          .filter((span) => span.traceId === traceId);
        return trace.some((span) => span.name === 'inventory.reserve') && trace.some((span) => span.kind === 'SERVER') ? trace : undefined;
      },
      { timeoutMs: 10_000, what: 'the reservation spans in the span file' },
    );
    const reserve = spans.find((span) => span.name === 'inventory.reserve')!;
    const server = spans.find((span) => span.kind === 'SERVER')!;
    const client = spans.find((span) => span.kind === 'CLIENT' && span.scope.includes('instrumentation-http'));
    expect(reserve.attributes['inventory.sku']).toBe(sku);
    expect(server.parentSpanId).toBeNull();
    // The catalog call's client span is the parent the catalog's own spans will hang from.
    expect(client).toBeDefined();
    expect(String(traceparent).split('-')[2]).toBe(client!.spanId);
  });
});
