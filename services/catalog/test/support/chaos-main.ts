import { serve } from '@cachelab/http-kit';
import { ChaosRedis } from '@cachelab/testing';
import { loadCatalogConfig } from '../../src/config';
import { createCatalogService } from '../../src/service';

/*
 * The catalog service as a real process whose Redis goes through fault-injecting proxies:
 * `kill -USR2 <pid>` cuts this instance (and only it) off from every Redis server, `kill -USR1`
 * reconnects it. For tests that need an instance cut off from Redis and then SIGKILLed.
 */
async function main(): Promise<void> {
  const config = loadCatalogConfig();
  const chaos = await ChaosRedis.forTestStack(config.redis);
  const service = await createCatalogService(config, { redis: chaos.config });
  process.on('SIGUSR2', () => chaos.down());
  process.on('SIGUSR1', () => chaos.up());
  await serve(service.app, { port: config.PORT, host: '127.0.0.1', onShutdown: [() => service.close(), () => chaos.close()] });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
