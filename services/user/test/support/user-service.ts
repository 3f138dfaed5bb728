import { serve } from '@cachelab/http-kit';
import type { RedisConnectionConfig } from '@cachelab/redis';
import { serviceTestEnv, uniqueName, waitFor } from '@cachelab/testing';
import { loadUserConfig, type UserServiceConfig } from '../../src/config';
import { createUserService, type UserService } from '../../src/service';
import { testDatabaseUrl } from '../helpers/db';

export interface RunningService {
  url: string;
  service: UserService;
  config: UserServiceConfig;
  close(): Promise<void>;
}

/**
 * Test runs reset the database (ids start again) but not Redis: each test file gets a keyspace of
 * its own, shared by every instance it starts, so entries of an earlier run are never read.
 */
const KEY_PREFIX = `${uniqueName('run')}.`;

/** The environment a test instance runs with: the suite's Redis (REDIS_MODE) and test database. */
export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return serviceTestEnv(testDatabaseUrl, {
    CACHE_KEY_PREFIX: KEY_PREFIX,
    ...overrides,
  });
}

/** The user service in this process, on a free port. */
export async function startUserService(
  overrides: Record<string, string> = {},
  redis?: RedisConnectionConfig,
): Promise<RunningService> {
  const config = loadUserConfig(testEnv(overrides));
  const service = createUserService(config, redis);
  const served = await serve(service.app, { port: 0, host: '127.0.0.1', onShutdown: [() => service.close()] });
  const url = `http://127.0.0.1:${served.port}`;
  await waitFor(async () => (await fetch(`${url}/readyz`)).ok, { what: 'user-service to be ready' });
  return { url, service, config, close: () => served.close() };
}
