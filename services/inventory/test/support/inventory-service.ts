import { serve } from '@cachelab/http-kit';
import { waitForReady, type RedisConnectionConfig } from '@cachelab/redis';
import { serviceTestEnv } from '@cachelab/testing';
import { loadInventoryConfig, type InventoryServiceConfig } from '../../src/config';
import { createInventoryService, type InventoryService } from '../../src/service';
import { testDatabaseUrl } from '../helpers/db';

export interface RunningService {
  url: string;
  service: InventoryService;
  config: InventoryServiceConfig;
  close(): Promise<void>;
}

/** The environment a test instance runs with: the suite's Redis (REDIS_MODE) and test database. */
export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return serviceTestEnv(testDatabaseUrl, {
    // Nothing listens there: a test that needs the catalog passes CATALOG_URL (a CatalogStub).
    CATALOG_URL: 'http://127.0.0.1:9',
    ...overrides,
  });
}

/** The inventory service in this process, on a free port, with its Redis connection ready. */
export async function startInventoryService(
  overrides: Record<string, string> = {},
  redis?: RedisConnectionConfig,
): Promise<RunningService> {
  const config = loadInventoryConfig(testEnv(overrides));
  const service = createInventoryService(config, redis);
  await waitForReady(service.redis, 10_000);
  const served = await serve(service.app, { port: 0, host: '127.0.0.1', onShutdown: [() => service.close()] });
  return { url: `http://127.0.0.1:${served.port}`, service, config, close: () => served.close() };
}
