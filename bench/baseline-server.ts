// The benchmarks' floor: the least an Express 5 + ioredis service can do to answer GET /users/:id
// from Redis. One GET, the stored JSON sent as is: no id validation, no envelope, no circuit
// breaker, no request logging, and no telemetry unless BASELINE_TRACING=on (then the services'
// tracing: a SERVER span per request and the ioredis span under it). Same Redis client factory (so the same topology and
// client options) as the services. Run by bench/user.ts as a child process, never in production:
// the id goes into the key unchecked.
//
//   PORT=4000 REDIS_MODE=cluster node --import tsx bench/baseline-server.ts
import { telemetry, tracing } from './baseline-telemetry';
import { createServer } from 'node:http';
import { loadConfig, port, redisConfigFromEnv } from '@cachelab/config';
import { closeRedis, createRedis, pingRedis } from '@cachelab/redis';
import { serverSpans } from '@cachelab/telemetry';
import express from 'express';
import { z } from 'zod';

const env = loadConfig(
  z.object({
    PORT: port,
    /** The bench writes each profile to `<prefix>{<id>}:profile` (same hash tag as the service's entry). */
    BASELINE_KEY_PREFIX: z.string().min(1).default('bench:'),
  }),
);
const redis = createRedis(redisConfigFromEnv(), { purpose: 'cache', connectionName: 'bench-baseline' });

const app = express();
app.disable('x-powered-by');
app.set('etag', false);
if (tracing) app.use(serverSpans());

app.get('/users/:id', async (req, res) => {
  const raw = await redis.get(`${env.BASELINE_KEY_PREFIX}{${req.params.id}}:profile`);
  if (raw === null) {
    res.status(404).json({ error: { code: 'not_found', message: 'not in Redis' } });
    return;
  }
  res.type('application/json').send(raw);
});

app.get('/readyz', async (_req, res) => {
  res.status((await pingRedis(redis)) ? 200 : 503).json({ redis: redis.status });
});

const server = createServer(app).listen(env.PORT, '127.0.0.1');

// A normal exit, so that `--cpu-prof` writes its profile.
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void closeRedis(redis)
    .then(() => telemetry?.shutdown())
    .finally(() => process.exit(0));
});
