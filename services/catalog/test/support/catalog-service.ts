import { serve } from '@cachelab/http-kit';
import { waitForReady, type RedisConnectionConfig } from '@cachelab/redis';
import { serviceTestEnv, uniqueName } from '@cachelab/testing';
import { loadCatalogConfig, type CatalogServiceConfig } from '../../src/config';
import type { CatalogHooks } from '../../src/caching/product-writes';
import { createCatalogService, type CatalogService } from '../../src/service';
import { testDatabaseUrl } from '../helpers/db';

export interface RunningService {
  url: string;
  service: CatalogService;
  config: CatalogServiceConfig;
  close(): Promise<void>;
}

/**
 * A key prefix of its own per test file: the file's keys cannot meet those of the native stack,
 * of other files, or of earlier runs (whose row versions would refuse this run's writes).
 */
export const filePrefix = () => `${uniqueName('t')}-`;

/** The environment a test instance runs with: the suite's Redis (REDIS_MODE) and test database. */
export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return serviceTestEnv(testDatabaseUrl, {
    LOG_LEVEL: 'error',
    ...overrides,
  });
}

/** The catalog service in this process, on a free port, once its Redis connection is ready. */
export async function startCatalogService(
  overrides: Record<string, string> = {},
  options: { redis?: RedisConnectionConfig; hooks?: CatalogHooks } = {},
): Promise<RunningService> {
  const config = loadCatalogConfig(testEnv(overrides));
  const service = await createCatalogService(config, options);
  // Requests sent while the connection is still being made would bypass the cache.
  await waitForReady(service.caches.store.redis);
  const served = await serve(service.app, { port: 0, host: '127.0.0.1', handleSignals: false, onShutdown: [() => service.close()] });
  return { url: `http://127.0.0.1:${served.port}`, service, config, close: () => served.close() };
}
