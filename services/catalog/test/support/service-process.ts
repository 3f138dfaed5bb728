import { join } from 'node:path';
import { spawnService, type ServiceProcess } from '@cachelab/testing';
import { testEnv } from './catalog-service';

export type { ServiceProcess };

/** A real second (third, ...) instance: its own process, connections and in-process state. */
export async function spawnCatalogService(overrides: Record<string, string> = {}): Promise<ServiceProcess> {
  return spawnService({ name: 'catalog-service', main: join(__dirname, '..', '..', 'src', 'main.ts'), env: testEnv(overrides) });
}

/**
 * An instance whose Redis goes through its own fault-injecting proxies (test/support/chaos-main.ts):
 * `child.kill('SIGUSR2')` cuts it off from Redis, `SIGUSR1` reconnects it.
 */
export async function spawnCatalogServiceWithChaos(overrides: Record<string, string> = {}): Promise<ServiceProcess> {
  return spawnService({ name: 'catalog-service (chaos)', main: join(__dirname, 'chaos-main.ts'), env: testEnv(overrides) });
}
