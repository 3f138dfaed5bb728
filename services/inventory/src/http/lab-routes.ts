import { body, HttpError, params, query } from '@cachelab/http-kit';
import type { Express } from 'express';
import { z } from 'zod';
import type { InventoryServiceConfig } from '../config';
import { strategies, type LabStrategies, type Strategy } from '../lab/strategies';
import { quantity, skuParams } from '../stock/validation';
import { toStockHttpError } from './stock-errors';

const NOTES: Record<Strategy, string> = {
  naive: 'WRONG ON PURPOSE: GET, check, SET. Concurrent requests read the same count and oversell. See docs/patterns/lua-atomic.md',
  watch: 'Correct: WATCH/MULTI/EXEC with optimistic retries; contention costs retries and a connection per transaction.',
  lua: 'Correct: reserve-3.lua checks and decrements atomically in one round trip (the production path).',
};

/**
 * Teaching routes on the `lab:{SKU}:*` keys (never the real stock):
 * PUT /lab/stock/:sku { available }, GET /lab/stock/:sku, POST /lab/reserve/:sku?strategy=naive|watch|lua { qty? }.
 */
export function labRoutes(app: Express, lab: LabStrategies, config: InventoryServiceConfig): void {
  const reserveQuery = z.strictObject({ strategy: z.enum(strategies, { error: `expected strategy=${strategies.join('|')}` }) });
  const reserveBody = z.strictObject({ qty: quantity(config.MAX_QTY).default(1) }).default({ qty: 1 });
  const stockBody = z.strictObject({ available: z.int().min(0).max(1_000_000_000) });

  app.post('/lab/reserve/:sku', async (req, res) => {
    const { sku } = params(req, skuParams);
    const { strategy } = query(req, reserveQuery);
    const { qty } = body(req, reserveBody);
    const result = await lab.reserve(strategy, sku, qty).catch((error: unknown) => {
      throw toStockHttpError(error);
    });
    res.setHeader('x-lab-strategy', strategy);
    switch (result.outcome) {
      case 'reserved':
        res.json({ sku, qty, ...result, note: NOTES[strategy] });
        return;
      case 'insufficient':
        res.status(409).json({
          error: { code: 'insufficient_stock', message: `${sku}: ${qty} requested, ${result.available} available`, details: result },
        });
        return;
      case 'not_loaded':
        throw new HttpError(404, 'lab_stock_not_set', `no lab stock for ${sku}: PUT /lab/stock/${sku} { "available": N } first`);
      case 'gave_up':
        throw new HttpError(503, 'contention_gave_up', `gave up after ${result.attempts} WATCH attempts`, result);
    }
  });

  app.put('/lab/stock/:sku', async (req, res) => {
    const { sku } = params(req, skuParams);
    const { available } = body(req, stockBody);
    await lab.setStock(sku, available).catch((error: unknown) => {
      throw toStockHttpError(error);
    });
    res.json({ sku, available });
  });

  app.get('/lab/stock/:sku', async (req, res) => {
    const { sku } = params(req, skuParams);
    const stock = await lab.stock(sku).catch((error: unknown) => {
      throw toStockHttpError(error);
    });
    if (stock.available === null) throw new HttpError(404, 'lab_stock_not_set', `no lab stock for ${sku}`);
    res.json({ sku, ...stock });
  });
}
