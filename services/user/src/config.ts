import { envInt, loadConfig, port, redisConfigFromEnv, serviceEnv, type Env } from '@cachelab/config';
import { z } from 'zod';

const userEnv = serviceEnv.extend({
  PORT: port.default(3001),
  /** Prepended to every cache namespace (`<prefix>user:{42}:profile`): separate keyspaces per test run. */
  CACHE_KEY_PREFIX: z.string().regex(/^[A-Za-z0-9._-]{0,32}$/, 'expected up to 32 of A-Z a-z 0-9 . _ -').default(''),
  /** `false` turns every cache off (x-cache: bypass): the baseline of the benchmarks. */
  CACHE_ENABLED: z.stringbool().default(true),
  PROFILE_TTL_MS: envInt(1_000, 86_400_000).default(300_000),
  NEGATIVE_TTL_MS: envInt(0, 86_400_000).default(30_000),
  SUMMARY_TTL_MS: envInt(1_000, 86_400_000).default(60_000),
  SUMMARY_STALE_MS: envInt(0, 86_400_000).default(300_000),
  /** XFetch beta for summaries (1 is the paper's optimum); 0 turns early refresh off. */
  SUMMARY_XFETCH_BETA: z.coerce.number().min(0).max(100).default(1),
  /** How long a Redis command may take before the request gives up on the cache (bypass). */
  REDIS_COMMAND_TIMEOUT_MS: envInt(10, 60_000).default(500),
  LOCK_WAIT_MS: envInt(10, 60_000).default(3_000),
  /**
   * Express `trust proxy`: behind a load balancer, the client (and so its rate-limit budget) is
   * read from X-Forwarded-For. Off by default: a direct client could forge that header.
   */
  TRUST_PROXY: z.enum(['false', 'loopback', 'true']).default('false'),
  /** Writes (POST/PATCH/DELETE) per client within RATE_LIMIT_WINDOW_MS. */
  RATE_LIMIT_WRITES: envInt(1, 1_000_000).default(300),
  RATE_LIMIT_WINDOW_MS: envInt(100, 3_600_000).default(10_000),
});

export type UserServiceConfig = z.output<typeof userEnv> & { redis: ReturnType<typeof redisConfigFromEnv> };

/** Reads and validates the environment once; a bad value stops the service with a clear message. */
export function loadUserConfig(env: Env = process.env): UserServiceConfig {
  return { ...loadConfig(userEnv, env), redis: redisConfigFromEnv(env) };
}
