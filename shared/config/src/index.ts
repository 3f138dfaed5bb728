export { loadConfig, ConfigError, type ConfigProblem, type Env } from './load-config';
export { hostPortList, type HostPort } from './host-port';
export { envInt, port, optionalVar } from './primitives';
export { serviceEnv, logLevels, type ServiceEnv } from './service-env';
export { redisEnv, redisModes, redisConfigFromEnv, type RedisEnv, type RedisConfig, type RedisMode } from './redis-env';
export { databaseEnv, type DatabaseEnv } from './database-env';
