import { redisConfigFromEnv, type Env } from '@cachelab/config';
import type { RedisConnectionConfig, RedisMode } from '@cachelab/redis';

/**
 * The Redis the write-behind data and its queue live on. When it is the service's own topology,
 * the service's connection settings are used as they are (so a test's fault-injecting proxies
 * apply); otherwise the same REDIS_* variables are read again with the other mode (the stack
 * passes REDIS_SENTINELS and REDIS_MASTER_NAME to every service, whatever its REDIS_MODE).
 */
export function writeBehindRedisConfig(mode: RedisMode, service: RedisConnectionConfig, env: Env): RedisConnectionConfig {
  if (mode === service.mode) return service;
  if (mode === 'standalone') {
    throw new Error('WRITE_BEHIND_REDIS_MODE=standalone needs REDIS_MODE=standalone (REDIS_NODES names the cluster otherwise)');
  }
  return redisConfigFromEnv({ ...env, REDIS_MODE: mode });
}
