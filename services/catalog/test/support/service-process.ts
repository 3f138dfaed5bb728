import { join } from 'node:path';
import { spawnService, type ServiceProcess } from '@cachelab/testing';
import { testEnv } from './catalog-service';

export type { ServiceProcess };

/** A real second (third, ...) instance: its own process, connections and in-process state. */
export async function spawnCatalogService(overrides: Record<string, string> = {}): Promise<ServiceProcess> {
  return spawnService({ name: 'catalog-service', main: join(__dirname, '..', '..', 'src', 'main.ts'), env: testEnv(overrides) });
}
