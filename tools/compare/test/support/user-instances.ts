import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migratedDatabase, serviceTestEnv, spawnService, uniqueName, type ServiceProcess } from '@cachelab/testing';

const userDir = join(__dirname, '..', '..', '..', '..', 'services', 'user');

/**
 * A database of its own (the user service's schema), so that the table lock the known run takes
 * never stalls the user service's own tests.
 */
export const databaseUrl = process.env.COMPARE_TEST_DATABASE_URL ?? 'postgresql://cachelab:cachelab@127.0.0.1:55432/cachelab_compare_test';

export interface UserRun {
  instances: ServiceProcess[];
  /** The run's own state folder: its span files are in `traces/`. */
  stateDir: string;
  /** Prepended to every cache key of the run. */
  keyPrefix: string;
  stop(): Promise<void>;
}

/** `count` real user-service processes sharing a keyspace and a state folder, spans also to Zipkin when `zipkinSpansUrl` is given. */
export async function startUserInstances(count: number, zipkinSpansUrl: string | undefined): Promise<UserRun> {
  await migratedDatabase(databaseUrl, join(userDir, 'prisma', 'migrations'));
  const stateDir = mkdtempSync(join(tmpdir(), 'cachelab-compare-'));
  const keyPrefix = `${uniqueName('cmp')}.`;
  const env = serviceTestEnv(databaseUrl, {
    CACHE_KEY_PREFIX: keyPrefix,
    CACHELAB_STATE_DIR: stateDir,
    // Spans reach the file a few milliseconds after they end: the test waits on them.
    OTEL_BSP_SCHEDULE_DELAY: '20',
    // The known run holds the origin for as long as it takes: nobody may give up waiting.
    LOCK_WAIT_MS: '60000',
    REDIS_COMMAND_TIMEOUT_MS: '10000',
    CACHELAB_ZIPKIN_URL: zipkinSpansUrl ?? '',
  });
  const instances = await Promise.all(
    Array.from({ length: count }, () => spawnService({ name: 'user-service', main: join(userDir, 'src', 'main.ts'), env, cwd: userDir })),
  );
  return {
    instances,
    stateDir,
    keyPrefix,
    // SIGTERM: each instance's telemetry shutdown flushes its last spans.
    stop: async () => void (await Promise.all(instances.map((instance) => instance.stop()))),
  };
}
