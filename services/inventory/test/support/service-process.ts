import { join } from 'node:path';
import { spawnService, type ServiceProcess } from '@cachelab/testing';
import { testEnv } from './inventory-service';

export { freePort } from '@cachelab/testing';
export type { ServiceProcess };

const SERVICE_DIR = join(__dirname, '..', '..');

/**
 * inventory-service as a real process (src/main.ts, telemetry included). An override set to ''
 * removes the variable (OTEL_EXPORTER_OTLP_ENDPOINT: '' sends spans to the state-dir file).
 */
export async function spawnInventoryService(overrides: Record<string, string> = {}): Promise<ServiceProcess> {
  return spawnService({
    name: 'inventory-service',
    main: join(SERVICE_DIR, 'src', 'main.ts'),
    cwd: SERVICE_DIR,
    env: testEnv(overrides),
    unset: Object.keys(overrides).filter((name) => overrides[name] === ''),
  });
}
