import { body, params } from '@cachelab/http-kit';
import type { Express, Request, Response } from 'express';
import { z } from 'zod';
import type { InventoryServiceConfig } from '../config';
import type { Reservations } from '../stock/reservations';
import { orderId, quantity, skuParams, sku } from '../stock/validation';
import { toStockHttpError } from './stock-errors';

type Handler = (req: Request, res: Response) => Promise<void>;

const handle = (fn: Handler): Handler => async (req, res) => {
  try {
    await fn(req, res);
  } catch (error) {
    throw toStockHttpError(error);
  }
};

/** GET /stock/:sku, POST /stock/:sku/reserve|release|restock, POST /orders. */
export function stockRoutes(app: Express, reservations: Reservations, config: InventoryServiceConfig): void {
  const qty = quantity(config.MAX_QTY);
  const reserveBody = z.strictObject({ qty, orderId });
  const releaseBody = z.strictObject({ orderId });
  const restockBody = z.strictObject({ qty });
  const orderBody = z.strictObject({
    orderId,
    lines: z
      .array(z.strictObject({ sku, qty }))
      .min(1, { error: 'an order needs at least one line' })
      .max(config.MAX_ORDER_LINES, { error: `an order has at most ${config.MAX_ORDER_LINES} lines` })
      .refine((lines) => new Set(lines.map((line) => line.sku)).size === lines.length, {
        error: 'each SKU may appear on one line only',
      }),
  });

  app.get(
    '/stock/:sku',
    handle(async (req, res) => {
      const { sku } = params(req, skuParams);
      res.json(await reservations.level(sku));
    }),
  );

  app.post(
    '/stock/:sku/reserve',
    handle(async (req, res) => {
      const { sku } = params(req, skuParams);
      const input = body(req, reserveBody);
      res.json(await reservations.reserve(sku, input.orderId, input.qty));
    }),
  );

  app.post(
    '/stock/:sku/release',
    handle(async (req, res) => {
      const { sku } = params(req, skuParams);
      const input = body(req, releaseBody);
      res.json(await reservations.release(sku, input.orderId));
    }),
  );

  app.post(
    '/stock/:sku/restock',
    handle(async (req, res) => {
      const { sku } = params(req, skuParams);
      const input = body(req, restockBody);
      res.json(await reservations.restock(sku, input.qty));
    }),
  );

  app.post(
    '/orders',
    handle(async (req, res) => {
      const input = body(req, orderBody);
      const lines = await reservations.placeOrder(input.orderId, input.lines);
      // 201 when this call reserved something; a pure replay of a placed order is a 200.
      res.status(lines.every((line) => line.replayed) ? 200 : 201).json({ orderId: input.orderId, lines });
    }),
  );
}
