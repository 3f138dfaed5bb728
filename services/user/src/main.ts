import { telemetry } from './telemetry'; // first: instruments the modules imported below
import { serve } from '@cachelab/http-kit';
import { createLogger } from '@cachelab/telemetry';
import { loadUserConfig } from './config';
import { createUserService } from './service';

async function main() {
  const config = loadUserConfig();
  const logger = createLogger('user-service');
  const service = createUserService(config);
  const served = await serve(service.app, {
    port: config.PORT,
    logger,
    onShutdown: [() => service.close(), () => telemetry.shutdown()],
  });
  logger.info({ port: served.port, redisMode: config.redis.mode }, 'user-service listening');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
