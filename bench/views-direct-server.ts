// The write-behind benchmark's baseline: every view written straight to Postgres, one statement
// per view (the upsert the flush does once per batch). Express 5 + pg, nothing else: no Redis, no
// validation beyond the key's shape, no telemetry, no request logging. Run by
// bench/inventory-write-behind.ts as a child process.
//
//   PORT=4000 DATABASE_URL=postgresql://... node --import tsx bench/views-direct-server.ts
import { createServer } from 'node:http';
import { envInt, loadConfig, port } from '@cachelab/config';
import express from 'express';
import { Pool } from 'pg';
import { z } from 'zod';

const env = loadConfig(
  z.object({
    PORT: port,
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
    DATABASE_POOL_SIZE: envInt(1, 100).default(10),
  }),
);
const pool = new Pool({ connectionString: env.DATABASE_URL, max: env.DATABASE_POOL_SIZE });
let statements = 0;

const UPSERT = `
INSERT INTO "ProductCounter" ("sku", "views", "sold", "updatedAt") VALUES ($1, 1, 0, now())
ON CONFLICT ("sku") DO UPDATE SET "views" = "ProductCounter"."views" + 1, "updatedAt" = now()`;

const app = express();
app.disable('x-powered-by');
app.set('etag', false);

app.post('/products/:sku/views', async (req, res) => {
  if (!/^SKU-[1-9][0-9]{0,9}$/.test(req.params.sku)) {
    res.status(400).json({ error: { code: 'validation_failed', message: 'bad SKU' } });
    return;
  }
  statements += 1;
  await pool.query(UPSERT, [req.params.sku]);
  res.status(202).json({ sku: req.params.sku, counted: 'views' });
});

// The same counter name the service uses, so the bench reads both the same way.
app.get('/metrics', (_req, res) => {
  res.type('text/plain').send(`cachelab_origin_queries_total{operation="counters.direct"} ${statements}\n`);
});

app.get('/readyz', async (_req, res) => {
  const ok = await pool.query('SELECT 1').then(() => true, () => false);
  res.status(ok ? 200 : 503).json({ database: ok });
});

const server = createServer(app).listen(env.PORT, '127.0.0.1');

process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void pool.end().finally(() => process.exit(0));
});
