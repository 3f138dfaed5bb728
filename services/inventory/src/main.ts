import { telemetry } from './telemetry'; // first: instruments the modules imported below
import { serve } from '@cachelab/http-kit';
import { waitForReady } from '@cachelab/redis';
import { createLogger } from '@cachelab/telemetry';
import { loadInventoryConfig } from './config';
import { createInventoryService } from './service';

async function main() {
  const config = loadInventoryConfig();
  const logger = createLogger('inventory-service');
  const service = createInventoryService(config);
  if (config.LOAD_STOCK_ON_START) {
    // Before listening, so the first requests find their stock; a failure is not fatal, since
    // each SKU is also loaded on demand the first time a script finds its key missing.
    await waitForReady(service.redis, 10_000)
      .then(() => service.loader.loadMissing())
      .catch((error: unknown) => logger.warn({ err: error }, 'stock not loaded at start; it will load on demand'));
  }
  const served = await serve(service.app, {
    port: config.PORT,
    logger,
    onShutdown: [() => service.close(), () => telemetry.shutdown()],
  });
  logger.info({ port: served.port, redisMode: config.redis.mode, catalog: config.CATALOG_URL }, 'inventory-service listening');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
