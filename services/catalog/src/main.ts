import { telemetry } from './telemetry'; // first: instruments the modules imported below
import { serve } from '@cachelab/http-kit';
import { createLogger } from '@cachelab/telemetry';
import { loadCatalogConfig } from './config';
import { createCatalogService } from './service';

async function main() {
  const config = loadCatalogConfig();
  const logger = createLogger('catalog-service');
  const service = await createCatalogService(config);
  const served = await serve(service.app, {
    port: config.PORT,
    logger,
    onShutdown: [() => service.close(), () => telemetry.shutdown()],
  });
  logger.info({ port: served.port, redisMode: config.redis.mode, writeMode: config.WRITE_MODE }, 'catalog-service listening');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
