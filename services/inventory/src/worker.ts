import { telemetry } from './telemetry'; // first: instruments the modules imported below
import { createLogger } from '@cachelab/telemetry';
import { loadInventoryConfig } from './config';
import { createPrisma } from './db/client';
import { createWriteBehind } from './write-behind/runtime';

// The write-behind flush worker on its own, without the HTTP service: `npm run worker`. Run it
// with WORKER_ENABLED=false on the services, to scale flushing apart from serving, or to watch a
// worker die (the SIGKILL tests do). SIGTERM/SIGINT: the batch in progress is finished first.
const SHUTDOWN_TIMEOUT_MS = 30_000;

async function main(): Promise<void> {
  const config = loadInventoryConfig();
  const logger = createLogger('inventory-worker');
  const prisma = createPrisma(config.DATABASE_URL, {
    poolSize: 4,
    onPoolError: (error) => logger.warn({ err: error }, 'postgres pool error'),
  });
  const writeBehind = createWriteBehind({
    env: config.env,
    databaseUrl: config.DATABASE_URL,
    serviceRedis: config.redis,
    prisma,
    logger,
    startWorker: true,
  });

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'finishing the batch in progress, then stopping');
    setTimeout(() => {
      logger.error({ timeoutMs: SHUTDOWN_TIMEOUT_MS }, 'shutdown timed out; exiting');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS).unref();
    (async () => {
      await writeBehind.close();
      await prisma.$disconnect();
      await telemetry.shutdown();
    })().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  await writeBehind.worker!.ready;
  logger.info(
    { namespace: writeBehind.config.namespace, shards: writeBehind.config.WRITE_BEHIND_SHARDS, redisMode: writeBehind.config.WRITE_BEHIND_REDIS_MODE },
    'write-behind worker ready',
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
