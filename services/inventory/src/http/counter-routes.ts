import { body, HttpError, params, query } from '@cachelab/http-kit';
import type { Express, Response } from 'express';
import { z } from 'zod';
import type { CounterExtension, CounterRouteDeps } from '../extension';
import { topSellers } from '../leaderboard/top-sellers';
import { skuParams } from '../stock/validation';
import { BULL_BOARD_PATH, mountBullBoard } from '../write-behind/bull-board';
import { readCounters } from '../write-behind/read-counters';
import { recordSale, revokeSale } from '../write-behind/record-sale';
import { recordView } from '../write-behind/record-view';
import { createWriteBehind, type WriteBehind } from '../write-behind/runtime';
import { writeThroughView } from '../write-behind/write-through';

const topSellersQuery = z.strictObject({
  limit: z
    .string()
    .regex(/^[1-9][0-9]{0,2}$/, { error: 'expected an integer 1..100' })
    .transform(Number)
    .pipe(z.int().max(100, { error: 'expected an integer 1..100' }))
    .default(10),
});

/** A view carries no data: no body, or an empty JSON object. */
const noBody = z.union([z.undefined(), z.strictObject({})]);

function unavailable(res: Response, code: string, message: string): HttpError {
  res.setHeader('retry-after', '1');
  return new HttpError(503, code, message);
}

/** Runs a step that needs Postgres; a database that does not answer is a 503, not a 500. */
async function databaseOr503<T>(res: Response, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch {
    throw unavailable(res, 'database_unavailable', 'The counters database is not answering; retry later');
  }
}

async function requireKnownSku(wb: WriteBehind, res: Response, sku: string): Promise<void> {
  if (!(await databaseOr503(res, () => wb.knownSkus.has(sku)))) throw new HttpError(404, 'unknown_sku', `No SKU ${sku} in the inventory`);
}

/**
 * The write-behind counters and the top-sellers leaderboard:
 *   POST /products/:sku/views      202: the view is counted in Redis, persisted by the next flush
 *   GET  /counters/:sku            { sku, views: { persisted, pending }, sold: { persisted, pending } }
 *   GET  /leaderboard/top-sellers  ?limit=1..100 (default 10)
 *   /admin/queues                  Bull Board
 * The flush worker runs in this process when WORKER_ENABLED (default), or in src/worker.ts.
 */
export function counterRoutes(app: Express, deps: CounterRouteDeps): CounterExtension {
  const wb = createWriteBehind({
    env: deps.config.env,
    databaseUrl: deps.config.DATABASE_URL,
    serviceRedis: deps.redisConfig,
    prisma: deps.prisma,
    logger: deps.logger,
  });
  const saleDeps = { counters: wb.counters, prisma: deps.prisma, logger: deps.logger, maxQty: deps.config.MAX_QTY };

  app.post('/products/:sku/views', async (req, res) => {
    const { sku } = params(req, skuParams);
    body(req, noBody);
    await requireKnownSku(wb, res, sku);
    if (wb.config.WRITE_BEHIND_ENABLED) {
      await recordView(wb.counters, sku).catch((error: unknown) => {
        deps.logger.debug({ err: error, sku }, 'view not counted: write-behind Redis unavailable');
        throw unavailable(res, 'counter_unavailable', 'Views cannot be counted right now; retry later');
      });
    } else {
      await databaseOr503(res, () => writeThroughView(deps.prisma, sku));
    }
    res.status(202).json({ sku, counted: 'views' });
  });

  app.get('/counters/:sku', async (req, res) => {
    const { sku } = params(req, skuParams);
    await requireKnownSku(wb, res, sku);
    res.json(await databaseOr503(res, () => readCounters(deps.prisma, wb.counters, sku)));
  });

  app.get('/leaderboard/top-sellers', async (req, res) => {
    const { limit } = query(req, topSellersQuery);
    res.json({ limit, ...(await databaseOr503(res, () => topSellers(wb.counters, deps.prisma, limit))) });
  });

  mountBullBoard(app, [wb.queue]);
  deps.logger.debug({ path: BULL_BOARD_PATH, namespace: wb.config.namespace }, 'write-behind counters mounted');

  return {
    recordSale: async (sale) => {
      await recordSale(saleDeps, sale);
    },
    revokeSale: async (sale) => {
      await revokeSale(saleDeps, sale);
    },
    readiness: async () => ({ writeBehindRedis: await wb.ping() }),
    close: () => wb.close(),
  };
}
