import { z } from 'zod';
import { hostPortList } from './host-port';
import { loadConfig, type Env } from './load-config';

const localPorts = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `127.0.0.1:${from + i}`).join(',');

export const redisModes = ['cluster', 'sentinel', 'standalone'] as const;

/** The Redis topology variables; see `redisConfigFromEnv` for the shape services use. */
export const redisEnv = z.object({
  REDIS_MODE: z.enum(redisModes).default('cluster'),
  /** Cluster seed nodes, or the single server in standalone mode. */
  REDIS_NODES: hostPortList.prefault(localPorts(7001, 7006)),
  REDIS_SENTINELS: hostPortList.prefault(localPorts(26381, 26383)),
  REDIS_MASTER_NAME: z.string().min(1, 'expected a non-empty name').default('cachelab'),
  /** An empty value means the servers require no password. */
  REDIS_PASSWORD: z.string().default('cachelab'),
  REDIS_SENTINEL_PASSWORD: z.string().optional(),
});

export type RedisEnv = z.output<typeof redisEnv>;

/** The topology-neutral connection settings `@cachelab/redis` takes. Throws `ConfigError`. */
export function redisConfigFromEnv(env: Env = process.env) {
  const parsed = loadConfig(redisEnv, env);
  const password = parsed.REDIS_PASSWORD || undefined;
  return {
    mode: parsed.REDIS_MODE,
    nodes: parsed.REDIS_NODES,
    sentinels: parsed.REDIS_SENTINELS,
    masterName: parsed.REDIS_MASTER_NAME,
    password,
    // Sentinels usually share the data nodes' password, so only a differing one needs setting.
    sentinelPassword: parsed.REDIS_SENTINEL_PASSWORD === undefined ? password : parsed.REDIS_SENTINEL_PASSWORD || undefined,
  };
}

export type RedisConfig = ReturnType<typeof redisConfigFromEnv>;
export type RedisMode = RedisConfig['mode'];
